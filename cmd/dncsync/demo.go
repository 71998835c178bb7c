package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/webhook/webhooksim"
)

// cmdDemo runs the whole service in one process: the embedded store in a temporary directory and
// the CXone simulator on loopback, so a newcomer sees opt-outs reach a list with one command.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	profile := fs.String("profile", "admin", "simulated CXone API profile: admin (the real Admin API's DNC groups) or v2")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["data-dir"] && os.Getenv("DNCSYNC_DATA_DIR") == "" {
		tmp, err := os.MkdirTemp("", "dncsync-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cfg.DataDir = tmp
	}
	if !set["log-format"] && os.Getenv("DNCSYNC_LOG_FORMAT") == "" {
		cfg.LogFormat = "text"
	}
	if *profile != "admin" && *profile != "v2" {
		return fmt.Errorf("--profile %q: want admin or v2", *profile)
	}
	sim := cxonesim.New(cxonesim.Config{ClientID: "demo", ClientSecret: "demo-secret", ListID: "demo-list",
		AccessKeyID: "demo-key", AccessKeySecret: "demo-key-secret", DNCGroupID: "demo-list",
		RatePerMinute: cfg.RateLimitRPM})
	// A tenant's three hosts: access-key login, discovery (the global host), and the API.
	hosts, stopSim, err := sim.ListenHosts("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start the CXone simulator: %w", err)
	}
	defer stopSim()
	simURL := hosts.API
	// The demo always runs against the simulator; the store is the embedded one unless REDIS_URL
	// is set, and other settings apply as given.
	cfg.CXoneAPI = *profile
	if *profile == "v2" {
		cfg.BaseURL, cfg.ClientID, cfg.ClientSecret, cfg.ListID = simURL, "demo", "demo-secret", "demo-list"
	} else {
		cfg.AuthURL, cfg.DiscoveryURL = hosts.Login, hosts.Discovery
		cfg.AccessKeyID, cfg.AccessSecret, cfg.GroupID = "demo-key", "demo-key-secret", "demo-list"
		cfg.ClientID, cfg.ClientSecret, cfg.APIBase = "", "", "" // discovered from the token, as on a real tenant
	}
	// The other destinations, when DNCSYNC_DESTINATIONS names them, get their simulators too.
	var extra []string
	if slices.Contains(cfg.destinations(), destGenesys) {
		g := genesyssim.New(genesyssim.Config{RatePerMinute: cfg.GenesysRPM})
		gh, stop, err := g.ListenHosts("127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("start the Genesys Cloud simulator: %w", err)
		}
		defer stop()
		gc := g.Config()
		cfg.GenesysLoginURL, cfg.GenesysAPIURL = gh.Login, gh.API
		cfg.GenesysClientID, cfg.GenesysClientSecret, cfg.GenesysListID = gc.ClientID, gc.ClientSecret, gc.DNCListID
		extra = append(extra, "Genesys Cloud simulated at "+gh.API)
	}
	if slices.Contains(cfg.destinations(), destWebhook) {
		wsim := webhooksim.New(webhooksim.Config{})
		u, stop := wsim.Start()
		defer stop()
		cfg.WebhookDestURL, cfg.WebhookDestSecret = u, webhooksim.DefaultSecret
		extra = append(extra, "a webhook receiver simulated at "+u)
	}
	if cfg.WebhookAuth == "" {
		cfg.WebhookAuth = "none"
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = "demo-admin-token" // a demo only: the /v1 API is on, with a token shown below
	}
	if err := cfg.validate(ef); err != nil {
		return fmt.Errorf("invalid settings:\n%w", err)
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	sim.OnChange(func(c cxonesim.Change) {
		log.Info("CXone simulator list changed", "op", c.Op, "number", phone.Mask(c.Number), "list_size", sim.Len())
	})
	svc, err := newService(cfg, log, hooks{})
	if err != nil {
		return err
	}
	ln, err := listen(cfg.Port)
	if err != nil {
		svc.store.Close()
		return err
	}
	fmt.Fprintf(stdout, `dncsync demo: the service on http://localhost:%d, CXone (%s profile) simulated at %s (list %q),
store %s, webhook auth %q. Try:

  curl -s -X POST localhost:%d/webhook/opt-out -H 'Content-Type: application/json' \
    -d '{"eventType":"contact.opt_out","data":{"phoneNumber":"(415) 555-2671"}}'

A number's state and history:
  curl -s -H 'Authorization: Bearer %s' localhost:%d/v1/numbers/+14155552671

The simulated list: curl -s %s/sim/list    Metrics: curl -s localhost:%d/metrics
The status page: http://localhost:%d/ (sign in with the admin token above)
`, cfg.Port, *profile, simURL, "demo-list", storeName(cfg), cfg.WebhookAuth, cfg.Port, cfg.AdminToken, cfg.Port,
		simURL, cfg.Port, cfg.Port)
	if *profile == "admin" {
		fmt.Fprintf(stdout, `Check the simulated tenant as you would a real one:
  CXONE_AUTH_URL=%s CXONE_DISCOVERY_URL=%s \
  CXONE_ACCESS_KEY_ID=demo-key CXONE_ACCESS_KEY_SECRET=demo-key-secret CXONE_DNC_GROUP_ID=demo-list \
  go run ./cmd/dncsync doctor --canary +14155550123
`, hosts.Login, hosts.Discovery)
	}
	for _, e := range extra {
		fmt.Fprintln(stdout, "Also:", e)
	}
	fmt.Fprintln(stdout, "Stop with Ctrl-C.")
	return svc.run(ctx, ln)
}
