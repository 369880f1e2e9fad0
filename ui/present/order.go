package present

import (
	"strconv"
	"strings"

	"gatewalk/gateway"
	"gatewalk/session"
)

// OrderLines is an orderConfig as it will be sent, one line per security
// ("BUY INFY × 3") or one line for a smallcase order.
func OrderLines(oc gateway.OrderConfig) []string {
	if len(oc.Securities) > 0 {
		out := make([]string, 0, len(oc.Securities))
		for _, s := range oc.Securities {
			side := string(s.Type)
			if side == "" {
				side = "(side chosen in the SDK)"
			}
			line := side + " " + SafeLine(s.Ticker)
			if s.Quantity > 0 {
				line += " × " + strconv.Itoa(s.Quantity)
			} else {
				line += " (quantity chosen in the SDK)"
			}
			out = append(out, line)
		}
		return out
	}
	line := string(oc.Type)
	if oc.Scid != "" {
		line += " smallcase " + SafeLine(oc.Scid)
	}
	if oc.Iscid != "" {
		line += " investment " + SafeLine(oc.Iscid)
	}
	if oc.Amount > 0 {
		line += " amount " + strconv.FormatFloat(oc.Amount, 'f', -1, 64)
	}
	return []string{line}
}

// EnvironmentLabel names a profile's environment as the header shows it,
// with leprechaun mode when it is on: "PRODUCTION", "STAGING · LEPRECHAUN".
func EnvironmentLabel(p session.Profile) string {
	s := strings.ToUpper(string(p.Env))
	if p.Leprechaun {
		s += " · LEPRECHAUN"
	}
	return s
}

// OrderReview is the review shown before an order is created: the lines
// as they will be sent, who places them with which broker, and on which
// profile and environment.
func OrderReview(p session.Profile, user, broker string, oc gateway.OrderConfig) []string {
	out := []string{"Review the order before it is created:"}
	for _, l := range OrderLines(oc) {
		out = append(out, "  "+l)
	}
	who := SafeLine(user)
	if broker != "" {
		who += " with " + SafeLine(broker)
	}
	out = append(out, "user:        "+who, "profile:     "+SafeLine(p.Name)+" ("+EnvironmentLabel(p)+", gateway "+SafeLine(p.Gateway)+")")
	if p.Env == gateway.EnvProduction {
		out = append(out, "PRODUCTION: these are real orders in a real broker account.")
	}
	return out
}
