package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

func TestSubscribeEndToEnd(t *testing.T) {
	sim, env := startSim(t, 6000)
	cmd := exec.Command(binPath, "subscribe", "--callback-url", "https://dncsync.example.com/webhook/opt-out")
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "subscription registered: ") {
		t.Fatalf("subscribe: %v\n%s", err, out)
	}
	subs := sim.Subscriptions()
	if len(subs) != 1 || subs[0].CallbackURL != "https://dncsync.example.com/webhook/opt-out" ||
		strings.Join(subs[0].EventTypes, ",") != "contact.opt_out,contact.do_not_call.add" || !subs[0].Enabled {
		t.Fatalf("subscriptions %+v", subs)
	}
	bad := exec.Command(binPath, "subscribe", "--callback-url", "not a url")
	bad.Env = append(cleanEnv(), env...)
	if out, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(out), "--callback-url") {
		t.Fatalf("a bad callback URL: %v\n%s", err, out)
	}
}
