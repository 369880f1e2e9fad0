package present

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// Record is one attempt of a journey (completed, failed or stopped) kept
// for the session export, with the profile it ran on.
type Record struct {
	Kind  flow.Kind
	Label string
	Steps []flow.Step
	OK    bool
	// End says how an attempt that did not complete ended.
	End     string
	Attempt int
	Profile session.Profile
	API     string
	// Auto is the sandbox scenario that answered the SDK step ("" = the
	// browser), logged in as AutoBroker and AutoAccount.
	Auto                    gateway.Scenario
	AutoBroker, AutoAccount string
}

// SessionMarkdown renders the journeys of this run as Markdown for a bug
// report: every attempt, failed ones included, with the profile it ran on,
// and every step with its request, response, result and timing. p and api
// are the profile in use at the export. The secrets given are removed, the
// apiSecret header is a variable and JWT signatures are cut.
func SessionMarkdown(p session.Profile, api string, recs []Record, now time.Time, secrets ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# gatewalk session\n\n")
	fmt.Fprintf(&b, "- exported: %s\n- profile in use: %s\n", now.UTC().Format(time.RFC3339), profileLine(p, api))
	b.WriteString("- secrets: removed; the `x-gateway-secret` header is shown as `$GATEWALK_API_SECRET`, JWT signatures are cut\n\n")
	if len(recs) == 0 {
		b.WriteString("No journey ran in this session.\n")
	}
	for i, r := range recs {
		result := "completed"
		if !r.OK {
			result = "did not complete"
			if r.End != "" {
				result += " (" + r.End + ")"
			}
		}
		attempt := ""
		if r.Attempt > 1 {
			attempt = fmt.Sprintf(" · attempt %d", r.Attempt)
		}
		fmt.Fprintf(&b, "## %d. %s · %s%s · %s\n\n", i+1, JourneyTitle(r.Kind), r.Label, attempt, result)
		fmt.Fprintf(&b, "- profile: %s\n", profileLine(r.Profile, r.API))
		if r.Auto != "" {
			as := ""
			if r.Kind == flow.GuestLogin && r.AutoAccount != "" {
				as = ", as " + r.AutoBroker + " " + r.AutoAccount
			}
			fmt.Fprintf(&b, "- SDK step: answered by the sandbox itself (%s%s)\n\n", r.Auto, as)
		} else {
			b.WriteString("- SDK step: in the browser\n\n")
		}
		b.WriteString("| # | step | state | started | duration | result |\n|---|---|---|---|---|---|\n")
		for n, s := range r.Steps {
			started := ""
			if !s.Started.IsZero() {
				started = s.Started.UTC().Format("15:04:05.000")
			}
			res := s.Summary
			if s.Err != nil {
				res = "error: " + s.Err.Error()
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", n+1, s.Title, s.State, started, StepDuration(s.Duration), mdCell(res))
		}
		b.WriteString("\n")
		for _, s := range r.Steps {
			if s.State == flow.Pending {
				continue
			}
			writeStepMarkdown(&b, s)
		}
	}
	out := CutJWTSignatures(b.String())
	return Scrub(out, secrets...)
}

// profileLine names a profile, its environment, gateway and API address.
func profileLine(p session.Profile, api string) string {
	if p.Name == "" {
		return "(none started)"
	}
	if api == "" {
		api = p.ResolvedAPIURL()
	}
	s := fmt.Sprintf("%s (environment %s, gateway `%s`", p.Name, p.Env, p.Gateway)
	if api != "" {
		s += ", API " + api
	}
	return s + ")"
}

func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

func writeStepMarkdown(b *strings.Builder, s flow.Step) {
	fmt.Fprintf(b, "### %s (%s)\n\n", s.Title, s.Kind)
	if s.Why != "" {
		fmt.Fprintf(b, "> %s\n\n", s.Why)
	}
	if s.Summary != "" {
		fmt.Fprintf(b, "Result: %s\n\n", s.Summary)
	}
	if s.TokenInfo != nil {
		pl, _ := json.Marshal(s.TokenInfo.Payload)
		fmt.Fprintf(b, "Token: %s, payload `%s`", s.TokenInfo.Kind, pl)
		if s.TokenInfo.ExpiresAt != nil {
			fmt.Fprintf(b, ", expires %s", s.TokenInfo.ExpiresAt.UTC().Format(time.RFC3339))
		}
		b.WriteString("\n\n")
	}
	if s.Token != "" {
		fmt.Fprintf(b, "JWT: `%s`\n\n", s.Token)
	}
	for _, x := range s.Exchanges {
		fmt.Fprintf(b, "Request (attempt %d, %s):\n\n```http\n%s %s\n", x.Attempt, StepDuration(x.Duration), x.Method, x.URL)
		fmt.Fprintf(b, "%s: $GATEWALK_API_SECRET\n", gateway.HeaderSecret)
		if t := x.AuthToken(); t != "" {
			fmt.Fprintf(b, "%s: %s\n", gateway.HeaderAuthToken, t)
		}
		if x.RequestBody != "" {
			fmt.Fprintf(b, "\n%s\n", x.RequestBody)
		}
		b.WriteString("```\n\n")
		if x.Error != "" {
			fmt.Fprintf(b, "Network error: %s\n\n", x.Error)
		}
		if x.Status != 0 {
			fmt.Fprintf(b, "Response %d:\n\n```json\n%s\n```\n\n", x.Status, x.ResponseBody)
		}
	}
	if s.BrowserURL != "" {
		fmt.Fprintf(b, "Browser page: %s", s.BrowserURL)
		if s.BrowserNote != "" {
			fmt.Fprintf(b, " (%s)", s.BrowserNote)
		}
		b.WriteString("\n\n")
	}
	if s.Outcome != nil {
		o, _ := json.MarshalIndent(s.Outcome, "", "  ")
		fmt.Fprintf(b, "SDK outcome:\n\n```json\n%s\n```\n\n", o)
	}
	if s.Err != nil {
		p := flow.Explain(s.Err)
		fmt.Fprintf(b, "**Error**: %s\n\n", s.Err.Error())
		if p.Advice != "" {
			fmt.Fprintf(b, "What to do: %s\n\n", p.Advice)
		}
	}
}
