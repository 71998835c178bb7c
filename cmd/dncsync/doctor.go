package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/webhook"
)

// errChecksFailed makes `dncsync doctor` exit 1 after its summary, with nothing printed after it.
var errChecksFailed = errors.New("checks failed")

// check is one line of the doctor's summary.
type check struct {
	name string
	fix  string // "" when the check passed
}

// doctor runs the checks in order, printing what it finds as it goes; a check whose prerequisite
// failed is not run and fails as skipped.
type doctor struct {
	out    io.Writer
	checks []check
	failed map[string]bool
}

func (d *doctor) detail(format string, args ...any) {
	fmt.Fprintf(d.out, "  "+format+"\n", args...)
}

// run records the outcome of fn under name, unless one of needs failed.
func (d *doctor) run(name string, needs []string, fn func() (fix string)) {
	for _, n := range needs {
		if d.failed[n] {
			d.record(name, "skipped: fix "+n+" first")
			return
		}
	}
	d.record(name, fn())
}

func (d *doctor) record(name, fix string) {
	d.checks = append(d.checks, check{name, fix})
	if fix != "" {
		d.failed[name] = true
	}
}

// summary ends the output with one line per check and reports whether all passed.
func (d *doctor) summary() bool {
	fmt.Fprintln(d.out)
	ok := true
	for _, c := range d.checks {
		if c.fix == "" {
			fmt.Fprintf(d.out, "%-20s ok\n", c.name)
			continue
		}
		ok = false
		fmt.Fprintf(d.out, "%-20s FAIL: %s\n", c.name, c.fix)
	}
	return ok
}

// cmdDoctor checks a CXone setup the way dncsync will use it: settings, login, the discovered API
// host, the DNC group and the skills it scrubs, reading records, and with --canary a number added,
// looked up and expired. Exit status 0 only when every check passes. Nothing it prints is a secret:
// URLs, ids and CXone's log-safe error messages only.
func cmdDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	canary := fs.String("canary", "", "a test number you own: add it to the group, look it up and expire it again")
	country := fs.String("country", "", "region for a --canary written without + (default DNCSYNC_DEFAULT_REGION)")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	dest := fs.String("destination", destCXone, "the destination to check: cxone, genesys or webhook")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: dncsync doctor [--destination cxone|genesys|webhook] [--canary NUMBER] [--country GB]")
	}
	switch *dest {
	case destGenesys, destWebhook:
		if *canary != "" {
			return errors.New("--canary checks CXone only")
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return doctorOther(ctx, cfg, *dest, stdout)
	case destCXone:
	default:
		return fmt.Errorf("--destination %q: use cxone, genesys or webhook", *dest)
	}
	if cfg.CXoneAPI == "" {
		cfg.CXoneAPI = "admin" // doctor checks real tenants: the admin profile
	}
	d := &doctor{out: stdout, failed: map[string]bool{}}
	fmt.Fprintln(stdout, "dncsync doctor: checking the CXone setup (admin profile)")

	d.run("settings", nil, func() string {
		if cfg.CXoneAPI != "admin" {
			return "doctor checks the admin profile (real tenants); set CXONE_API=admin"
		}
		if err := validateClient(cfg, ef); err != nil {
			msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "invalid settings:\n"), "\n", "; ")
			d.detail("%s", msg)
			return msg
		}
		return ""
	})
	if d.failed["settings"] {
		d.summary()
		return errChecksFailed
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	a := newAdmin(cfg, pusher.NewPacer(cfg.RateLimitRPM), &http.Client{}, nil)
	ep := a.Endpoints()

	d.run("login", nil, func() string {
		if ep.App {
			d.detail("login: registered application (%s), token endpoint from %s/.well-known/openid-configuration",
				ep.ClientAuthMethod, ep.DiscoveryURL)
		} else {
			d.detail("login: access key at %s/authentication/v1/token/access-key", ep.AuthURL)
		}
		if err := a.Authenticate(ctx); err != nil {
			return loginFix(err, ep)
		}
		return ""
	})
	d.run("discovery", []string{"login"}, func() string {
		disc, err := a.Discover(ctx)
		if err != nil {
			return fmt.Sprintf("%v", err)
		}
		if disc.Tenant != "" {
			d.detail("API host: %s (tenant %s, discovered via %s)", disc.APIBase, disc.Tenant, disc.Via)
		} else {
			d.detail("API host: %s (CXONE_API_BASE)", disc.APIBase)
		}
		d.detail("API version: %s; phoneNumber sent as CXONE_PHONE_JSON=%s", ep.APIVersion, ep.PhoneJSON)
		return ""
	})
	api := []string{"login", "discovery"}
	d.run("group", api, func() string {
		g, err := a.Group(ctx)
		if err != nil {
			return fmt.Sprintf("%v", err)
		}
		state := "active"
		switch {
		case g.Active == nil:
			state = "CXone did not say whether it is active"
		case !*g.Active:
			state = "INACTIVE"
		}
		records := ""
		if g.ValidRecords >= 0 {
			records = fmt.Sprintf(", valid records: %d", g.ValidRecords)
		}
		d.detail("DNC group %s %q: %s%s", ep.GroupID, g.Name, state, records)
		switch {
		case g.Removed:
			return fmt.Sprintf("DNC group %s is removed; set CXONE_DNC_GROUP_ID to a group in use", ep.GroupID)
		case g.Active != nil && !*g.Active:
			return fmt.Sprintf("DNC group %s is inactive, so it blocks no call; activate it in CXone (ACD > Lists > DNC Groups)", ep.GroupID)
		}
		return ""
	})
	d.run("scrubbed skills", api, func() string {
		skills, err := a.ScrubbedSkills(ctx)
		if err != nil {
			return fmt.Sprintf("%v", err)
		}
		if len(skills) == 0 {
			d.detail("WARNING: DNC group %s scrubs no skill. Numbers dncsync adds are blocked from NO call.", ep.GroupID)
			return fmt.Sprintf("DNC group %s scrubs no skill, so it blocks no call; assign the outbound skills that must "+
				"respect it (ACD > Lists > DNC Groups > Scrubbed Skills, or POST .../dnc-groups/%s/scrubbed-skills/{skillId})",
				ep.GroupID, ep.GroupID)
		}
		d.detail("scrubbed skills (their calls skip the group's numbers): %s", skillList(skills))
		return ""
	})
	d.run("contributing skills", api, func() string {
		skills, err := a.ContributingSkills(ctx)
		if err != nil {
			return fmt.Sprintf("%v", err)
		}
		if len(skills) == 0 {
			d.detail("contributing skills: none (numbers reach the group from dncsync and by hand)")
		} else {
			d.detail("contributing skills (their dispositions add numbers): %s", skillList(skills))
		}
		return ""
	})
	d.run("records", api, func() string {
		recs, _, err := a.ListRecords(ctx, 0, 1)
		if err != nil {
			return fmt.Sprintf("%v", err)
		}
		d.detail("records: readable (first page: %d)", len(recs))
		return ""
	})
	if *canary != "" {
		runCanary(ctx, d, a, cfg, *canary, *country)
	}
	if !d.summary() {
		return errChecksFailed
	}
	return nil
}

// loginFix says what to change after a failed login.
func loginFix(err error, ep cxone.Endpoints) string {
	if cxone.KindOf(err) != cxone.Config {
		return fmt.Sprintf("%v (is %s reachable?)", err, ep.AuthURL)
	}
	return fmt.Sprintf("%v", err)
}

// runCanary adds a test number with an expiry a day out (so that it leaves the group even if the
// expiry below fails), finds it with the search, then expires it. A number already active on the
// group is refused: expiring it would take a real opt-out off the list.
func runCanary(ctx context.Context, d *doctor, a *cxone.Admin, cfg *config, raw, country string) {
	steps := []string{"login", "discovery"}
	region := country
	if region == "" {
		region = cfg.DefaultRegion
	}
	n, perr := phone.Parse(raw, region)
	var number string
	d.run("canary add", steps, func() string {
		if perr != nil {
			return fmt.Sprintf("--canary is not a valid number for region %s: %v", region, perr)
		}
		number = n.E164
		before, err := a.Search(ctx, number)
		if err != nil {
			return fmt.Sprintf("search before adding: %v", err)
		}
		if active(before, cfg.GroupID) {
			return fmt.Sprintf("%s is already on DNC group %s; doctor would take it off: pick a test number that is not",
				phone.Mask(number), cfg.GroupID)
		}
		exp := time.Now().Add(24 * time.Hour)
		if err := a.Add(ctx, []cxone.Contact{{Number: number, ExpiresAt: exp, Source: "dncsync doctor"}})[0]; err != nil {
			return fmt.Sprintf("%v%s", err, typeHint(err, cfg))
		}
		d.detail("canary: added %s with an expiredDate a day out", phone.Mask(number))
		return ""
	})
	d.run("canary lookup", []string{"canary add"}, func() string {
		found, err := a.Search(ctx, number)
		if err != nil {
			return fmt.Sprintf("%v", err)
		}
		if !active(found, cfg.GroupID) {
			return fmt.Sprintf("CXone confirmed the add, but the search does not find %s active on group %s", phone.Mask(number), cfg.GroupID)
		}
		d.detail("canary: the search finds it on group %s", cfg.GroupID)
		return ""
	})
	d.run("canary expire", []string{"canary add"}, func() string {
		if err := a.Remove(ctx, []cxone.Contact{{Number: number}})[0]; err != nil {
			return fmt.Sprintf("%v%s (the record expires by itself within two days)", err, typeHint(err, cfg))
		}
		found, err := a.Search(ctx, number)
		if err != nil {
			return fmt.Sprintf("search after expiring: %v", err)
		}
		if active(found, cfg.GroupID) {
			return fmt.Sprintf("CXone confirmed the expiry, but %s is still active on group %s", phone.Mask(number), cfg.GroupID)
		}
		d.detail("canary: expired again")
		return ""
	})
}

// active reports whether group holds the number, unexpired, among search results.
func active(res []cxone.SearchResult, group string) bool {
	now := time.Now()
	for _, r := range res {
		if r.GroupID == group && r.Active(now) {
			return true
		}
	}
	return false
}

// typeHint points at the wire settings when CXone refused the request rather than the number.
func typeHint(err error, cfg *config) string {
	var e *cxone.Error
	if !errors.As(err, &e) || (e.Status != http.StatusBadRequest && e.Kind != cxone.Config && e.Kind != cxone.Refused) {
		return ""
	}
	return fmt.Sprintf("; if CXone refused the request's shape, try CXONE_PHONE_JSON=string or number (now %s) or another CXONE_API_VERSION (now %s)",
		cfg.PhoneJSON, cfg.APIVersion)
}

func skillList(skills []cxone.Skill) string {
	parts := make([]string, len(skills))
	for i, s := range skills {
		parts[i] = fmt.Sprintf("%s %q", s.ID, s.Name)
	}
	return strings.Join(parts, ", ")
}

// doctorOther checks the genesys or webhook destination: its settings, then its login and list
// (genesys) or that the receiver answers (webhook). It changes nothing.
func doctorOther(ctx context.Context, cfg *config, dest string, stdout io.Writer) error {
	d := &doctor{out: stdout, failed: map[string]bool{}}
	fmt.Fprintf(stdout, "dncsync doctor: checking the %s destination\n", dest)
	hc := &http.Client{}
	switch dest {
	case destGenesys:
		gc := cfg.genesysConfig(pusher.NewPacer(cfg.GenesysRPM), hc)
		d.run("settings", nil, func() string {
			if err := gc.Validate(); err != nil {
				return err.Error()
			}
			return ""
		})
		if d.failed["settings"] {
			break
		}
		k := genesys.New(gc).Checks(ctx)
		d.detail("login %s, API %s, list %s", k.Endpoints.LoginURL, k.Endpoints.APIURL, k.Endpoints.DNCListID)
		d.run("login", nil, func() string {
			if k.Login != nil {
				return k.Login.Error() + " (check GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET and GENESYS_REGION)"
			}
			return ""
		})
		d.run("dnc list", []string{"login"}, func() string {
			if k.ListErr != nil {
				return k.ListErr.Error() + " (check GENESYS_DNC_LIST_ID and the role's outbound:dncList:view)"
			}
			d.detail("list %q: type %s, contact method %s", k.List.Name, k.List.SourceType, k.List.ContactMethod)
			return strings.Join(k.Problems, "; ")
		})
		d.run("campaigns", []string{"login"}, func() string {
			switch {
			case k.CampaignsErr != nil:
				return k.CampaignsErr.Error()
			case k.NoCampaign():
				d.detail("WARNING: no outbound campaign checks list %s: numbers written to it are accepted and block no call",
					k.Endpoints.DNCListID)
				return "no outbound campaign checks DNC list " + k.Endpoints.DNCListID +
					", so it blocks no call; add it to the DNC lists of the campaigns that dial these people"
			}
			var names []string
			for _, c := range k.Campaigns {
				names = append(names, fmt.Sprintf("%q (%s)", c.Name, c.Status))
			}
			d.detail("campaigns that check the list: %s", strings.Join(names, ", "))
			return ""
		})
	case destWebhook:
		var c *webhook.Client
		d.run("settings", nil, func() string {
			var err error
			if c, err = webhook.New(cfg.webhookConfig(pusher.NewPacer(cfg.WebhookDestRPM), hc)); err != nil {
				return err.Error()
			}
			return ""
		})
		d.run("receiver", []string{"settings"}, func() string {
			if err := c.Ping(ctx); err != nil {
				return err.Error() + " (check DNCSYNC_WEBHOOK_DEST_URL and that the receiver verifies DNCSYNC_WEBHOOK_DEST_SECRET)"
			}
			return ""
		})
	}
	if !d.summary() {
		return errChecksFailed
	}
	return nil
}
