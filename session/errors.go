package session

import "fmt"

// AuthIDMismatchError reports a result whose smallcaseAuthId is not the one
// the flow was started for. The stored id is never overwritten by it.
type AuthIDMismatchError struct {
	User     string // the local user's label, when known
	Expected string // the stored smallcaseAuthId
	Got      string // the smallcaseAuthId in the result
}

// Error tells both smallcaseAuthIds and that the stored one was kept.
func (e *AuthIDMismatchError) Error() string {
	who := "the user"
	if e.User != "" {
		who = fmt.Sprintf("user %q", e.User)
	}
	return fmt.Sprintf("smallcaseAuthId mismatch: the flow ran for %s (%s) but the result carries %s; "+
		"the stored id was kept. The result belongs to another broker account: check which account was logged in",
		who, e.Expected, e.Got)
}
