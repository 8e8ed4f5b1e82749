// Package collectors turns what a user hands xborder into the facts the
// policies judge: it loads the data-flow manifests (the declarations), reads
// the outbound transfer logs and the consent ledger (the evidence), and
// aggregates the evidence per flow and day into an audit.Input.
//
// Everything here is about input a user wrote, so every problem is an
// *audit.InputError that says where (`file:line:col: field: message`), and a
// load reports all of its problems at once, sorted, as audit.InputErrors,
// never the first one only.
//
// # Manifests
//
// LoadManifests walks the files and directories it is given (DESIGN §5.1),
// decodes every `xborder/v1` document strictly (unknown fields, wrong types,
// unknown enum values, bad country codes, dates and durations, dangling
// references and duplicate names are errors) and keeps, for every object and
// every field, the place it was written, so that a finding about
// `spec.legalBasis.overseas` points at that line.
//
// Walking a directory reads the files ending in .yaml or .yml (any case),
// recursively and in lexical order, follows symbolic links to files and
// directories and reports a link that loops back. Entries whose name starts
// with a dot (.git, .github and their workflow YAML) are skipped; a file
// named explicitly is read whatever its name. The same file reached twice
// (two overlapping arguments, a link to a file already read) is read once.
//
// The decoder treats manifests as untrusted: files larger than
// MaxManifestBytes, documents nested deeper than MaxManifestDepth, YAML
// aliases that expand a document by more than 100,000 nodes (an "alias
// bomb"), aliases that refer to themselves, invalid UTF-8 and control
// characters are all located input errors, and no input makes it panic
// (FuzzDecodeManifest). A UTF-8 byte order mark and CRLF line endings are
// accepted.
package collectors
