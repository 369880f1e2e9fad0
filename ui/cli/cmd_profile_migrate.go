package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"gatewalk/session"
	"gatewalk/ui/present"
)

func runProfileMigrateSecrets(c *Factory, args []string) error {
	pc := newProfileCmd(c, "profile migrate-secrets", "profile migrate-secrets [NAME] [--json]",
		`Moves the keys of profiles kept in profiles.json (profiles saved before the
keyring, with --insecure-storage, or when no keyring answered) to the OS
keyring (service gatewalk), and removes them from the file. Without NAME,
every such profile. When the keyring does not answer, nothing changes and the
keys stay where they are.`)
	jsonOut := pc.fs.Bool("json", false, "print JSON")
	name, err := pc.name(args, "profile migrate-secrets [NAME]")
	if err != nil {
		return err
	}
	if name == session.BuiltinProfileName {
		return usagef("%q is the built-in profile: its keys are the public demo ones and are not stored", name)
	}
	st, err := openSessionStore(c)
	if err != nil {
		return err
	}
	moved, err := st.MigrateSecrets(name)
	if errors.Is(err, session.ErrProfileNotFound) {
		return &usageError{err.Error()}
	}
	if errors.Is(err, session.ErrKeyringUnavailable) {
		return fmt.Errorf("%w; nothing was moved: the keys stay in %s", err, filepath.Join(st.Dir(), "profiles.json"))
	}
	if err != nil {
		return err
	}
	if *jsonOut {
		out := []map[string]any{}
		for _, m := range moved {
			out = append(out, map[string]any{"profile": m.Name, "keys": m.Keys})
		}
		return writeJSON(c.stdout, map[string]any{"ok": true, "moved": out})
	}
	if len(moved) == 0 {
		fmt.Fprintln(c.stdout, "No keys to move: every profile's keys are in the OS keyring already (or it has none).")
		return nil
	}
	for _, m := range moved {
		fmt.Fprintf(c.stdout, "Moved %d key(s) of profile %s to the OS keyring.\n", m.Keys, present.SafeLine(m.Name))
	}
	return nil
}
