package collectors

import (
	"os"

	"github.com/xborder/xborder/internal/audit"
)

// FindLogs lists the transfer-log files ReadLogs would read under paths
// (sorted by path, each once) with their sizes; Kind is "log" and SHA256 is
// left empty. An incremental audit digests them first and reads only the
// ones no earlier run ingested. Problems are audit.InputErrors, as ReadLogs
// reports them. With opt.Mapping, the files are those of the mapping's
// format.
func FindLogs(paths []string, opt LogOptions) ([]audit.InputFile, error) {
	files, errs := logFindFiles(paths)
	if opt.Mapping != nil {
		files, errs = logFindFilesOf(paths, opt.Mapping.kindOf, opt.Mapping.formats())
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	out := make([]audit.InputFile, 0, len(files))
	for _, f := range files {
		st, err := os.Stat(f.osPath)
		if err != nil {
			errs.Add(f.path, 0, 0, "", "%s", logErrText(err))
			continue
		}
		out = append(out, audit.InputFile{Path: f.path, Kind: "log", Size: st.Size()})
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	return out, nil
}
