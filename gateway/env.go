package gateway

import (
	"fmt"
	"sort"
)

// Environment names a Gateway deployment.
type Environment string

// Environments. Sandbox is gatewalk's embedded emulator; its URLs are known
// only once it listens.
const (
	EnvSandbox     Environment = "sandbox"
	EnvProduction  Environment = "production"
	EnvStaging     Environment = "staging"
	EnvDevelopment Environment = "development"
)

// Preset is the default API base URL and web SDK script URL of an environment.
type Preset struct {
	Env    Environment `json:"env"`
	APIURL string      `json:"apiUrl"`
	SDKURL string      `json:"sdkUrl"`
}

// ProductionSDKURL is the web SDK script every documented web integration loads.
const ProductionSDKURL = "https://gateway.smallcase.com/scdk/2.0.0/scdk.js"

// presets: API hosts are from the SDKs' environment enums. The web SDK script
// is only documented for production; staging and development use the same
// script until told otherwise (override with --sdk-url).
var presets = map[Environment]Preset{
	EnvProduction:  {EnvProduction, "https://gatewayapi.smallcase.com", ProductionSDKURL},
	EnvStaging:     {EnvStaging, "https://gatewayapi-stag.smallcase.com", ProductionSDKURL},
	EnvDevelopment: {EnvDevelopment, "https://gatewayapi-dev.smallcase.com", ProductionSDKURL},
	EnvSandbox:     {EnvSandbox, "", ""},
}

// PresetFor returns the preset of env.
func PresetFor(env Environment) (Preset, error) {
	p, ok := presets[env]
	if !ok {
		return Preset{}, fmt.Errorf("unknown environment %q (want one of %v)", env, EnvironmentNames())
	}
	return p, nil
}

// EnvironmentNames lists the known environment names, sorted.
func EnvironmentNames() []string {
	var out []string
	for e := range presets {
		out = append(out, string(e))
	}
	sort.Strings(out)
	return out
}
