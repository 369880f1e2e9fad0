package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/ui/present"
)

func usersCommand() command {
	return command{name: "users", summary: "list, show, add and remove local users and their smallcaseAuthIds", subcommands: []string{"list", "show", "add", "remove"}, run: runUsers}
}

const usersAbout = `Subcommands:
  users list                      the profile's local users
  users show LABEL                one user
  users add LABEL --auth-id ID    record a user connected elsewhere
  users remove LABEL              forget a user

Local users belong to a profile (--profile NAME, else $GATEWALK_PROFILE, else
the active profile). A login saves each user's smallcaseAuthId under a label
you choose; connected journeys mint tokens for that id and check that every
result carries it. Two labels never share an id unless you confirm: the same
id means the same broker account.

A LABEL is 1-64 letters, digits, '-', '_', '.' or '@', starting with a letter
or digit (alice, Bob.Kite, alice@acme.in). A --broker id outside the known
list (kite, upstox, hdfc, ... each also with -leprechaun) is kept with a warning.`

func runUsers(ctx context.Context, c *Factory, args []string) error {
	if done, err := parentHelp(c, args, "users list|show|add|remove [flags]", usersAbout, "a subcommand is required"); done {
		return err
	}
	switch args[0] {
	case "list", "ls":
		return runUsersList(c, args[1:])
	case "show":
		return runUsersShow(c, args[1:])
	case "add":
		return runUsersAdd(c, args[1:])
	case "remove", "rm":
		return runUsersRemove(c, args[1:])
	}
	// Not echoed: a misplaced secret may be the first argument.
	return usagef("unknown subcommand (not shown in case it was a secret): want list, show, add or remove")
}

// usersCmd is what every users subcommand starts from: its flag set,
// which has --profile.
type usersCmd struct {
	c       *Factory
	fs      *flag.FlagSet
	profile *string
}

func newUsersCmd(c *Factory, name, usage, about string) *usersCmd {
	fs := newFlagSet(c, name, usage, about)
	profile := fs.String("profile", "", "the profile (default: $GATEWALK_PROFILE, else the active one)")
	return &usersCmd{c: c, fs: fs, profile: profile}
}

// label parses args and takes the single LABEL argument; usage is the
// command line an error about it shows.
func (uc *usersCmd) label(args []string, usage string) (string, error) {
	pos, err := parseFlags(uc.fs, args)
	if err != nil {
		return "", err
	}
	switch len(pos) {
	case 1:
		return pos[0], nil
	case 0:
		return "", usagef("a LABEL is required: gatewalk %s ('gatewalk users list' shows the labels)", usage)
	}
	return "", usagef("one LABEL at a time: %v; usage: gatewalk %s", unexpectedArgs(pos[1:]), usage)
}

// store opens the store and resolves the profile of the command.
func (uc *usersCmd) store() (*session.Store, string, error) {
	st, err := openSessionStore(uc.c)
	if err != nil {
		return nil, "", err
	}
	p, err := profileInUse(uc.c, st, *uc.profile)
	if err != nil {
		return nil, "", err
	}
	return st, p.Name, nil
}

// userView is a user as list and show print it.
type userView struct {
	Label           string `json:"label"`
	SmallcaseAuthID string `json:"smallcaseAuthId"`
	Broker          string `json:"broker"`
	Leprechaun      bool   `json:"leprechaun"`
	ConnectedAt     string `json:"connectedAt,omitempty"`
	LastUsedAt      string `json:"lastUsedAt,omitempty"`
	// SharedWith lists the other labels with the same smallcaseAuthId (kept
	// after the operator confirmed).
	SharedWith []string `json:"sharedWith,omitempty"`
}

// newUserViews makes the views of us in one pass over us to index the
// labels by smallcaseAuthId and one to build the views: linear in the
// number of users.
func newUserViews(us []session.User) []userView {
	byID := labelsByAuthID(us)
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, newUserView(u, byID[u.SmallcaseAuthID]))
	}
	return out
}

// labelsByAuthID maps each smallcaseAuthId of us to the labels that have
// it, in the order of us. Only ids held by two labels or more are kept:
// that is all newUserView needs, and it keeps the map small.
func labelsByAuthID(us []session.User) map[string][]string {
	first := make(map[string]int, len(us))
	byID := map[string][]string{}
	for i, u := range us {
		j, seen := first[u.SmallcaseAuthID]
		switch {
		case !seen:
			first[u.SmallcaseAuthID] = i
		case byID[u.SmallcaseAuthID] == nil:
			byID[u.SmallcaseAuthID] = []string{us[j].Label, u.Label}
		default:
			byID[u.SmallcaseAuthID] = append(byID[u.SmallcaseAuthID], u.Label)
		}
	}
	return byID
}

// newUserView is the view of u, where same is every label with u's
// smallcaseAuthId (u's own included, or none when u is alone with it).
func newUserView(u session.User, same []string) userView {
	v := userView{Label: u.Label, SmallcaseAuthID: u.SmallcaseAuthID, Broker: u.Broker, Leprechaun: u.Leprechaun}
	if !u.ConnectedAt.IsZero() {
		v.ConnectedAt = u.ConnectedAt.Format(time.RFC3339)
	}
	if !u.LastUsedAt.IsZero() {
		v.LastUsedAt = u.LastUsedAt.Format(time.RFC3339)
	}
	for _, l := range same {
		if l != u.Label {
			v.SharedWith = append(v.SharedWith, l)
		}
	}
	return v
}

// findUserView builds the view of the user labelled label only, in one pass
// over us; ok is false when there is no such user.
func findUserView(us []session.User, label string) (u session.User, v userView, ok bool) {
	at := slices.IndexFunc(us, func(o session.User) bool { return o.Label == label })
	if at < 0 {
		return session.User{}, userView{}, false
	}
	u = us[at]
	var same []string
	for _, o := range us {
		if o.SmallcaseAuthID == u.SmallcaseAuthID {
			same = append(same, o.Label)
		}
	}
	return u, newUserView(u, same), true
}

// ago renders t relative to now for tables: "3m ago", "2026-01-02".
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return t.Local().Format("2006-01-02 15:04")
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h ago"
	case d < 30*24*time.Hour:
		return strconv.Itoa(int(d.Hours()/24)) + "d ago"
	}
	return t.Local().Format("2006-01-02")
}

func runUsersList(c *Factory, args []string) error {
	uc := newUsersCmd(c, "users list", "users list [--profile NAME] [--json]", "Lists the local users of a profile with their smallcaseAuthIds.")
	jsonOut := uc.fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(uc.fs, args)
	if err != nil {
		return err
	}
	if err := unexpectedArgs(pos); err != nil {
		return &usageError{err.Error() + ". 'gatewalk users show LABEL' shows one user"}
	}
	st, name, err := uc.store()
	if err != nil {
		return err
	}
	us, err := st.Users(name)
	if err != nil {
		return err
	}
	views := newUserViews(us)
	if *jsonOut {
		return writeJSON(c.stdout, views)
	}
	if len(us) == 0 {
		fmt.Fprintf(c.stdout, "Profile %s has no local users yet: 'gatewalk login' connects one.\n", present.SafeLine(name))
		return nil
	}
	now := c.now()
	rows := make([][]string, 0, len(views)+1)
	rows = append(rows, []string{"LABEL", "SMALLCASEAUTHID", "BROKER", "LEPRECHAUN", "CONNECTED", "LAST USED"})
	shared := false
	for i, v := range views {
		id := present.SafeLine(v.SmallcaseAuthID)
		if len(v.SharedWith) > 0 {
			id, shared = id+" (!)", true
		}
		rows = append(rows, []string{present.SafeLine(v.Label), id, present.SafeLine(dash(v.Broker)), yesNo(v.Leprechaun),
			ago(us[i].ConnectedAt, now), ago(us[i].LastUsedAt, now)})
	}
	if err := writeAligned(c.stdout, rows); err != nil {
		return err
	}
	if shared {
		fmt.Fprintln(c.stdout, "\n(!) the same smallcaseAuthId as another label: both are the same broker account.")
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runUsersShow(c *Factory, args []string) error {
	uc := newUsersCmd(c, "users show", "users show LABEL [--profile NAME] [--json]", "Shows one local user.")
	jsonOut := uc.fs.Bool("json", false, "print JSON")
	label, err := uc.label(args, "users show LABEL")
	if err != nil {
		return err
	}
	st, name, err := uc.store()
	if err != nil {
		return err
	}
	us, err := st.Users(name)
	if err != nil {
		return err
	}
	// One read of users.json: the user and the labels sharing its id both
	// come from us.
	u, v, ok := findUserView(us, label)
	if !ok {
		return userNotFound(session.NotFoundUser(name, label))
	}
	if *jsonOut {
		return writeJSON(c.stdout, v)
	}
	now := c.now()
	w := c.stdout
	fmt.Fprintf(w, "user:            %s (profile %s)\n", present.SafeLine(v.Label), present.SafeLine(name))
	fmt.Fprintf(w, "smallcaseAuthId: %s\n", present.SafeLine(v.SmallcaseAuthID))
	fmt.Fprintf(w, "broker:          %s\n", present.SafeLine(dash(v.Broker)))
	fmt.Fprintf(w, "leprechaun:      %s\n", yesNo(v.Leprechaun))
	fmt.Fprintf(w, "connected:       %s\n", timeLine(u.ConnectedAt, now))
	fmt.Fprintf(w, "last used:       %s\n", timeLine(u.LastUsedAt, now))
	if len(v.SharedWith) > 0 {
		fmt.Fprintf(w, "same id as:      %s (the same broker account)\n", present.SafeLine(strings.Join(v.SharedWith, ", ")))
	}
	return nil
}

func timeLine(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST") + " (" + ago(t, now) + ")"
}

func userNotFound(err error) error {
	if errors.Is(err, session.ErrUserNotFound) {
		return &usageError{err.Error()}
	}
	return err
}

func runUsersAdd(c *Factory, args []string) error {
	uc := newUsersCmd(c, "users add", "users add LABEL --auth-id ID [--broker NAME] [--leprechaun] [--allow-duplicate] [--profile NAME]",
		`Records a local user whose smallcaseAuthId you already know (from your
backend, or a login made elsewhere). An id another label of the profile has
is refused: the same id means the same broker account. --allow-duplicate
confirms it. An existing label keeps its id: remove it first to change it.`)
	fs := uc.fs
	id := fs.String("auth-id", "", "the user's smallcaseAuthId (24 hex characters)")
	broker := fs.String("broker", "", "the broker id the user connected (e.g. kite, kite-leprechaun); an unknown id is kept with a warning")
	lep := fs.Bool("leprechaun", false, "a leprechaun (test) account")
	allow := fs.Bool("allow-duplicate", false, "save it even though another label has this smallcaseAuthId")
	label, err := uc.label(args, "users add LABEL --auth-id ID")
	if err != nil {
		return err
	}
	if *id == "" {
		return usagef("--auth-id is required: the user's smallcaseAuthId")
	}
	if err := gateway.ValidateAuthID(*id); err != nil {
		return &usageError{"--auth-id: " + err.Error()}
	}
	if err := session.ValidateLabel(label); err != nil {
		return &usageError{err.Error()}
	}
	if *broker != "" {
		warnUnknownBrokers(c, "--broker", []string{*broker})
	}
	st, name, err := uc.store()
	if err != nil {
		return err
	}
	err = st.SaveUser(name, session.User{Label: label, SmallcaseAuthID: *id, Broker: *broker, Leprechaun: *lep}, *allow)
	var dup *session.DuplicateAuthIDError
	var mm *gateway.AuthIDMismatchError
	switch {
	case errors.As(err, &dup):
		return &usageError{err.Error() + " (--allow-duplicate)"}
	case errors.As(err, &mm):
		return &usageError{fmt.Sprintf("user %q already has smallcaseAuthId %s; gatewalk never overwrites it. "+
			"To record another id, 'gatewalk users remove %s' first, or choose another label", label, mm.Expected, label)}
	case err != nil:
		return err
	}
	fmt.Fprintf(c.stdout, "Saved user %s (%s) in profile %s.\n", present.SafeLine(label), present.SafeLine(*id), present.SafeLine(name))
	return nil
}

func runUsersRemove(c *Factory, args []string) error {
	uc := newUsersCmd(c, "users remove", "users remove LABEL [--profile NAME]",
		"Forgets a local user and its smallcaseAuthId. The user's broker account is untouched;\nconnecting it again returns the same id.")
	label, err := uc.label(args, "users remove LABEL")
	if err != nil {
		return err
	}
	st, name, err := uc.store()
	if err != nil {
		return err
	}
	u, err := st.User(name, label)
	if err != nil {
		return userNotFound(err)
	}
	if err := st.RemoveUser(name, label); err != nil {
		return userNotFound(err)
	}
	fmt.Fprintf(c.stdout, "Removed user %s (%s) from profile %s.\n", present.SafeLine(label), present.SafeLine(u.SmallcaseAuthID), present.SafeLine(name))
	return nil
}

// writeAligned writes rows as left-aligned columns two spaces apart, the
// last column unpadded: what text/tabwriter writes for such a table, in
// one pass over the cells and one buffered write, so a list of 10,000
// users costs what its bytes cost. Widths count runes, as tabwriter does.
func writeAligned(w io.Writer, rows [][]string) error { return writeColumns(w, rows, nil) }

// writeColumns is writeAligned with the columns right names right-aligned
// (numbers); a right-aligned last column is padded too.
func writeColumns(w io.Writer, rows [][]string, right []bool) error {
	isRight := func(i int) bool { return i < len(right) && right[i] }
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i == len(r)-1 && !isRight(i) {
				break
			}
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	const spaces = "                                                                "
	padding := func(n int) {
		for ; n > 0; n -= len(spaces) {
			bw.WriteString(spaces[:min(n, len(spaces))])
		}
	}
	for _, r := range rows {
		for i, cell := range r {
			last := i == len(r)-1
			switch {
			case isRight(i):
				padding(widths[i] - utf8.RuneCountInString(cell))
				bw.WriteString(cell)
				if !last {
					padding(2)
				}
			case last:
				bw.WriteString(cell)
			default:
				bw.WriteString(cell)
				padding(widths[i] + 2 - utf8.RuneCountInString(cell))
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
