//go:build linux

package cli

import (
	"fmt"
	"os"
	"syscall"
)

// fileIdentity is what tells two files of one path, size and modification
// time apart: the device, the inode and the change time, which `cp -p`,
// `touch -r`, rsync and tar cannot set.
func fileIdentity(fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("dev %d ino %d ctime %d.%09d", st.Dev, st.Ino, st.Ctim.Sec, st.Ctim.Nsec)
}
