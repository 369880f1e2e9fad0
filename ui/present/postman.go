package present

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// PostmanSchema is the schema URL of the Postman collection format v2.1.
const PostmanSchema = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"

// postman* are the parts of a Postman v2.1 collection gatewalk writes.
type postmanCollection struct {
	Info     postmanInfo       `json:"info"`
	Event    []postmanEvent    `json:"event"`
	Variable []postmanVariable `json:"variable"`
	Item     []postmanFolder   `json:"item"`
}

type postmanInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Schema      string `json:"schema"`
}

type postmanEvent struct {
	Listen string        `json:"listen"`
	Script postmanScript `json:"script"`
}

type postmanScript struct {
	Type string   `json:"type"`
	Exec []string `json:"exec"`
}

type postmanVariable struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
}

type postmanFolder struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Item        []postmanItem `json:"item"`
}

type postmanItem struct {
	Name    string         `json:"name"`
	Event   []postmanEvent `json:"event,omitempty"`
	Request postmanRequest `json:"request"`
}

type postmanRequest struct {
	Method      string          `json:"method"`
	Header      []postmanHeader `json:"header"`
	Body        *postmanBody    `json:"body,omitempty"`
	URL         postmanURL      `json:"url"`
	Description string          `json:"description,omitempty"`
}

type postmanHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type postmanBody struct {
	Mode    string         `json:"mode"`
	Raw     string         `json:"raw"`
	Options map[string]any `json:"options,omitempty"`
}

type postmanURL struct {
	Raw   string            `json:"raw"`
	Host  []string          `json:"host"`
	Path  []string          `json:"path"`
	Query []postmanURLQuery `json:"query,omitempty"`
}

type postmanURLQuery struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// tokenHeader marks the token a request needs: "guest" or "connected
// AUTH_ID". The collection's pre-request script replaces it with a fresh
// x-gateway-authtoken.
const tokenHeader = "x-gatewalk-token"

// mintScript is the collection's pre-request script: it signs a fresh
// HS256 JWT with {{secret}} (CryptoJS, which Postman and newman bundle) for
// the request's x-gatewalk-token, sends it as x-gateway-authtoken, and
// drops the marker.
var mintScript = []string{
	"// Mints the smallcaseAuthToken this request needs, signed with {{secret}} (HS256), as gatewalk does.",
	"const cryptojs = require('crypto-js'); // CryptoJS, bundled with Postman and newman",
	"const want = pm.request.headers.get('" + tokenHeader + "');",
	"if (want) {",
	"  const b64url = (words) => cryptojs.enc.Base64.stringify(words).replace(/=+$/, '').replace(/\\+/g, '-').replace(/\\//g, '_');",
	"  const part = (obj) => b64url(cryptojs.enc.Utf8.parse(JSON.stringify(obj)));",
	"  const exp = Math.floor(Date.now() / 1000) + 15 * 60;",
	"  const id = want.startsWith('connected ') ? want.slice('connected '.length) : '';",
	"  const payload = id ? { smallcaseAuthId: id, exp: exp } : { guest: true, exp: exp };",
	"  const unsigned = part({ alg: 'HS256', typ: 'JWT' }) + '.' + part(payload);",
	"  const secret = pm.variables.get('secret');",
	"  if (!secret) { throw new Error('set the variable secret (the gateway secret) in your environment'); }",
	"  const token = unsigned + '.' + b64url(cryptojs.HmacSHA256(unsigned, secret));",
	"  pm.request.headers.remove('" + tokenHeader + "');",
	"  pm.request.headers.upsert({ key: 'x-gateway-authtoken', value: token });",
	"}",
}

// envelopeTest checks the Gateway's envelope.
var envelopeTest = []string{
	"pm.test('HTTP 200', () => pm.response.to.have.status(200));",
	"pm.test('success:true', () => pm.expect(pm.response.json().success).to.eql(true));",
}

// PostmanCollection renders the session's finished journeys as a Postman
// collection (v2.1): one folder per journey, one request per call, the
// token minted before each request by the collection's pre-request script
// with CryptoJS, the transactionId kept from each create for the calls
// after it, and tests that each answer is success:true. On the sandbox the
// SDK step is the driver's call. The keys are the variables secret and
// apiSecret, left empty: set them in a Postman environment. The given
// secrets are removed from anything recorded.
func PostmanCollection(recs []Record, now time.Time, secrets ...string) ([]byte, error) {
	js, skipped := replayPlan(recs)
	gw, api := sessionDefaults(recs)
	desc := fmt.Sprintf("gatewalk session exported %s. Each journey runs again with fresh tokens and transactions. "+
		"Set secret and apiSecret in an environment (never in the collection); baseUrl and gateway are the session's.", now.UTC().Format(time.RFC3339))
	if len(skipped) > 0 {
		desc += " Not replayed: " + strings.Join(skipped, "; ") + "."
	}
	col := postmanCollection{
		Info:  postmanInfo{Name: "gatewalk session " + now.UTC().Format("2006-01-02 15:04"), Description: Scrub(desc, secrets...), Schema: PostmanSchema},
		Event: []postmanEvent{{Listen: "prerequest", Script: postmanScript{Type: "text/javascript", Exec: mintScript}}},
		Variable: []postmanVariable{
			{Key: "baseUrl", Value: api, Type: "string", Description: "the Gateway API URL"},
			{Key: "gateway", Value: gw, Type: "string", Description: "the gateway name"},
			{Key: "transactionId", Value: "", Type: "string", Description: "set by each create"},
		},
		Item: []postmanFolder{},
	}
	for _, j := range js {
		f := postmanFolder{Name: Scrub(j.Title, secrets...), Description: strings.Join(j.Notes, " "), Item: []postmanItem{}}
		for _, c := range j.Calls {
			f.Item = append(f.Item, postmanItemOf(c, secrets))
		}
		col.Item = append(col.Item, f)
	}
	return json.MarshalIndent(col, "", "  ")
}

func postmanItemOf(c replayCall, secrets []string) postmanItem {
	it := postmanItem{Name: Scrub(c.Title, secrets...), Request: postmanRequest{Method: c.Method, URL: postmanURLOf(c)}}
	if c.Driver {
		it.Request.Description = "The sandbox's driver answers the SDK step, as a user in the browser would."
		it.Event = []postmanEvent{{Listen: "test", Script: postmanScript{Type: "text/javascript", Exec: []string{
			"pm.test('the SDK step resolved', () => pm.expect(pm.response.json()).to.have.property('result'));",
		}}}}
	} else {
		it.Request.Header = append(it.Request.Header, postmanHeader{Key: "x-gateway-secret", Value: "{{apiSecret}}"})
		switch c.Token {
		case "":
		case tokenGuest:
			it.Request.Header = append(it.Request.Header, postmanHeader{Key: tokenHeader, Value: "guest"})
		default:
			it.Request.Header = append(it.Request.Header, postmanHeader{Key: tokenHeader, Value: "connected " + c.Token})
		}
		test := append([]string(nil), envelopeTest...)
		if c.CapturesTransaction {
			test = append(test, "pm.collectionVariables.set('transactionId', pm.response.json().data.transactionId);")
		}
		it.Event = []postmanEvent{{Listen: "test", Script: postmanScript{Type: "text/javascript", Exec: test}}}
	}
	if it.Request.Header == nil {
		it.Request.Header = []postmanHeader{}
	}
	if c.Body != "" {
		it.Request.Header = append(it.Request.Header, postmanHeader{Key: "Content-Type", Value: "application/json"})
		it.Request.Body = &postmanBody{Mode: "raw", Raw: Scrub(c.Body, secrets...), Options: map[string]any{"raw": map[string]string{"language": "json"}}}
	}
	return it
}

func postmanURLOf(c replayCall) postmanURL {
	u := postmanURL{Host: []string{"{{baseUrl}}"}}
	for _, seg := range c.Segments {
		switch seg {
		case varGateway:
			seg = "{{gateway}}"
		case varTransaction:
			seg = "{{transactionId}}"
		default:
			seg = url.PathEscape(seg)
		}
		u.Path = append(u.Path, seg)
	}
	raw := "{{baseUrl}}/" + strings.Join(u.Path, "/")
	for i, kv := range c.Query {
		v := url.QueryEscape(kv[1])
		if kv[1] == varTransaction {
			v = "{{transactionId}}"
		}
		u.Query = append(u.Query, postmanURLQuery{Key: kv[0], Value: v})
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		raw += sep + url.QueryEscape(kv[0]) + "=" + v
	}
	u.Raw = raw
	return u
}
