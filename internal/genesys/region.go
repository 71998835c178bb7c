package genesys

import (
	"net/url"
	"slices"
	"strings"

	"github.com/dncsync/dncsync/internal/destination"
)

// DefaultRegion is the region when GENESYS_REGION is unset: us-east-1, the Go SDK's default
// (platform-client-sdk-go platformclientv2/configuration.go, BasePath https://api.mypurecloud.com).
const DefaultRegion = "mypurecloud.com"

// regionDomains maps AWS region names to the Platform API's domains, as the Go SDK lists them
// (platform-client-sdk-go platformclientv2/configuration.go, the region constants). The CLI takes
// either form too (platform-client-sdk-cli: "mypurecloud.com.au or ap-southeast-2").
var regionDomains = map[string]string{
	"us-east-1":      "mypurecloud.com",
	"eu-west-1":      "mypurecloud.ie",
	"ap-southeast-2": "mypurecloud.com.au",
	"ap-northeast-1": "mypurecloud.jp",
	"eu-central-1":   "mypurecloud.de",
	"us-west-2":      "usw2.pure.cloud",
	"ca-central-1":   "cac1.pure.cloud",
	"ap-northeast-2": "apne2.pure.cloud",
	"eu-west-2":      "euw2.pure.cloud",
	"ap-south-1":     "aps1.pure.cloud",
	"us-east-2":      "use2.us-gov-pure.cloud",
	"sa-east-1":      "sae1.pure.cloud",
	"me-central-1":   "mec1.pure.cloud",
	"ap-northeast-3": "apne3.pure.cloud",
	"eu-central-2":   "euc2.pure.cloud",
	"mx-central-1":   "mxc1.pure.cloud",
	"ap-southeast-1": "apse1.pure.cloud",
}

// RegionDomain resolves GENESYS_REGION to the region's domain: an AWS region name is looked up; a
// domain is taken as given, also when written as a host or URL ("api.mypurecloud.com",
// "https://login.usw2.pure.cloud").
func RegionDomain(region string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(region))
	if r == "" {
		return DefaultRegion, nil
	}
	if d, ok := regionDomains[r]; ok {
		return d, nil
	}
	if i := strings.Index(r, "://"); i >= 0 {
		r = r[i+3:]
	}
	r = strings.TrimRight(r, "/")
	for _, p := range []string{"api.", "login.", "apps."} {
		r = strings.TrimPrefix(r, p)
	}
	if !strings.Contains(r, ".") || strings.ContainsAny(r, "/:?# ") {
		names := make([]string, 0, len(regionDomains))
		for n := range regionDomains {
			names = append(names, n)
		}
		slices.Sort(names)
		return "", configError("config", 0, "GENESYS_REGION is neither a region's domain (mypurecloud.com, usw2.pure.cloud, ...) nor one of "+
			strings.Join(names, ", "))
	}
	return r, nil
}

// hosts are the login and API base URLs: LoginURL and APIURL when set, else https://login.{domain}
// and https://api.{domain}, the way the Go SDK derives the login host from the API's
// (configuration.go AuthorizeClientCredentials replaces "//api." with "//login.").
func (cfg Config) hosts() (login, api string, err error) {
	login, api = trimURL(cfg.LoginURL), trimURL(cfg.APIURL)
	if login == "" || api == "" {
		d, err := RegionDomain(cfg.Region)
		if err != nil {
			return "", "", err
		}
		if login == "" {
			login = "https://login." + d
		}
		if api == "" {
			api = "https://api." + d
		}
	}
	for name, u := range map[string]string{"GENESYS_LOGIN_URL": login, "GENESYS_API_URL": api} {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return "", "", &destination.Error{Kind: destination.Config, Dest: Dest, Op: "config",
				Msg: name + " is not an absolute http(s) URL"}
		}
	}
	return login, api, nil
}

func trimURL(s string) string { return strings.TrimRight(strings.TrimSpace(s), "/") }
