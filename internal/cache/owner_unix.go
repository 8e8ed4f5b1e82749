//go:build unix

package cache

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ownedPrivately refuses a directory another user owns or others may write
// into: its entries could be planted by them.
func ownedPrivately(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("writable by others (mode %v): not a private cache", fi.Mode().Perm())
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if int(st.Uid) != os.Geteuid() {
		return errors.New("owned by another user: not a private cache")
	}
	return nil
}
