package cli

import (
	"flag"

	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// registerExports adds the export flags of the headless journeys.
func registerExports(fs *flag.FlagSet, f *journeyFlags) {
	fs.StringVar(&f.exportCurl, "export-curl", "", "write the finished journey as a bash script of curl calls to FILE (keys from the environment)")
	fs.StringVar(&f.exportPostman, "export-postman", "", "write the finished journey as a Postman collection (v2.1) to FILE")
}

// export writes the journey's curl script and Postman collection when
// asked; a journey that did not complete is listed there as not replayed.
func (h *headless) export(j *flow.Journey) error {
	if h.flags.exportCurl == "" && h.flags.exportPostman == "" {
		return nil
	}
	return writeExports(h.c, h.runner, []present.Record{*journeyRecord(h.runner, j)}, h.flags.exportCurl, h.flags.exportPostman)
}
