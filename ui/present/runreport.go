package present

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"gatewalk/gateway"
)

// RunReport is what `gatewalk run` reports: each step of a runbook with
// its outcome and what of its expectation did not hold.
type RunReport struct {
	Runbook    string          `json:"runbook"`
	Source     string          `json:"source"`
	Profile    string          `json:"profile"`
	Auto       bool            `json:"auto"`
	OK         bool            `json:"ok"`
	Passed     int             `json:"passed"`
	Failed     int             `json:"failed"`
	DurationMs float64         `json:"durationMs"`
	Steps      []RunStepReport `json:"steps"`
}

// RunStepReport is one step of a RunReport.
type RunStepReport struct {
	Name     string `json:"name"`
	Journey  string `json:"journey"`
	OK       bool   `json:"ok"`
	Outcome  string `json:"outcome"`
	Expected string `json:"expected"`
	// Failures are the expectations that did not hold.
	Failures   []string `json:"failures,omitempty"`
	DurationMs float64  `json:"durationMs"`
	// Report is the journey's report (login, order, holdings).
	Report *Report `json:"report,omitempty"`
	// Call is the api step's request and answer.
	Call *CallReport `json:"call,omitempty"`
}

// CallReport is an api step's request (keys masked) and response.
type CallReport struct {
	Request  *RequestSummary  `json:"request,omitempty"`
	Response *ResponseSummary `json:"response,omitempty"`
	Attempts int              `json:"attempts"`
}

// junit* are the JUnit XML elements CI systems read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit renders the report as JUnit XML: one testsuite for the runbook,
// one testcase per step, a failure element for each step whose
// expectation did not hold.
func JUnit(rep RunReport) ([]byte, error) {
	secs := func(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }
	suite := junitSuite{Name: xmlSafe(rep.Runbook), Tests: len(rep.Steps), Failures: rep.Failed, Time: secs(rep.DurationMs),
		Properties: []junitProperty{{"profile", xmlSafe(rep.Profile)}, {"source", xmlSafe(rep.Source)}, {"auto", fmt.Sprint(rep.Auto)}}}
	for _, s := range rep.Steps {
		tc := junitCase{Name: xmlSafe(s.Name), Classname: xmlSafe(rep.Runbook + "." + s.Journey), Time: secs(s.DurationMs),
			SystemOut: xmlSafe("outcome " + s.Outcome + ", expected " + s.Expected)}
		if !s.OK {
			msg := strings.Join(s.Failures, "; ")
			tc.Failure = &junitFailure{Message: xmlSafe(firstLine(msg)), Type: "expectation", Text: xmlSafe(strings.Join(s.Failures, "\n"))}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	doc := junitSuites{Name: xmlSafe(rep.Runbook), Tests: suite.Tests, Failures: suite.Failures, Time: suite.Time, Suites: []junitSuite{suite}}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// xmlSafe drops the characters XML 1.0 cannot carry (most C0 controls),
// which encoding/xml would otherwise escape into a document parsers refuse.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			return -1
		}
		return r
	}, s)
}

// CallOf is an api step's CallReport from its HTTP attempts (the last is
// the answer); nil when nothing was sent.
func CallOf(xs []gateway.Exchange) *CallReport {
	if len(xs) == 0 {
		return nil
	}
	req, resp := summarize(xs[len(xs)-1])
	return &CallReport{Request: req, Response: resp, Attempts: len(xs)}
}
