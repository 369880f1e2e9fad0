package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// journeyRecord is one attempt of a journey (completed, failed or
// stopped) kept for the export, with the profile it ran on.
type journeyRecord struct {
	kind  flow.Kind
	label string
	steps []flow.Step
	ok    bool
	// end says how an attempt that did not complete ended.
	end     string
	attempt int
	profile session.Profile
	api     string
	auto    AutoAnswer
}

// sessionMarkdown renders the journeys of this run as Markdown for a bug
// report: every attempt, failed ones included, with the profile it ran on,
// and every step with its request, response, result and timing. p and api
// are the profile in use at the export. The secrets given are removed, the
// apiSecret header is a variable and JWT signatures are cut.
func sessionMarkdown(p session.Profile, api string, recs []journeyRecord, now time.Time, secrets ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# gatewalk session\n\n")
	fmt.Fprintf(&b, "- exported: %s\n- profile in use: %s\n", now.UTC().Format(time.RFC3339), profileLine(p, api))
	b.WriteString("- secrets: removed; the `x-gateway-secret` header is shown as `$GATEWALK_API_SECRET`, JWT signatures are cut\n\n")
	if len(recs) == 0 {
		b.WriteString("No journey ran in this session.\n")
	}
	for i, r := range recs {
		result := "completed"
		if !r.ok {
			result = "did not complete"
			if r.end != "" {
				result += " (" + r.end + ")"
			}
		}
		attempt := ""
		if r.attempt > 1 {
			attempt = fmt.Sprintf(" · attempt %d", r.attempt)
		}
		fmt.Fprintf(&b, "## %d. %s · %s%s · %s\n\n", i+1, present.JourneyTitle(r.kind), r.label, attempt, result)
		fmt.Fprintf(&b, "- profile: %s\n", profileLine(r.profile, r.api))
		if r.auto.On() {
			as := ""
			if r.kind == flow.GuestLogin && r.auto.Account != "" {
				as = ", as " + r.auto.Broker + " " + r.auto.Account
			}
			fmt.Fprintf(&b, "- SDK step: answered by the sandbox itself (%s%s)\n\n", r.auto.Scenario, as)
		} else {
			b.WriteString("- SDK step: in the browser\n\n")
		}
		b.WriteString("| # | step | state | started | duration | result |\n|---|---|---|---|---|---|\n")
		for n, s := range r.steps {
			started := ""
			if !s.Started.IsZero() {
				started = s.Started.UTC().Format("15:04:05.000")
			}
			res := s.Summary
			if s.Err != nil {
				res = "error: " + s.Err.Error()
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", n+1, s.Title, s.State, started, present.StepDuration(s.Duration), mdCell(res))
		}
		b.WriteString("\n")
		for _, s := range r.steps {
			if s.State == flow.Pending {
				continue
			}
			writeStepMarkdown(&b, s)
		}
	}
	out := present.CutJWTSignatures(b.String())
	return present.Scrub(out, secrets...)
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
		fmt.Fprintf(b, "Request (attempt %d, %s):\n\n```http\n%s %s\n", x.Attempt, present.StepDuration(x.Duration), x.Method, x.URL)
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

// sessionExportedMsg reports the Markdown export.
type sessionExportedMsg struct {
	path string
	err  error
}

func exportSessionCmd(path, markdown string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// The status line names the file wherever the TUI was started.
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		return sessionExportedMsg{path: path, err: writeFileCtx(ctx, path, []byte(markdown))}
	}
}
