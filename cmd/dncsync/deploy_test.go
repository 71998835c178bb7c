package main

import (
	"bufio"
	"errors"
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// knownSettings are the environment variables of the settings (each flag's usage names its own).
func knownSettings(t *testing.T) map[string]bool {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	bindConfig(fs)
	known := map[string]bool{}
	re := regexp.MustCompile(`\(\$([A-Z0-9_]+)\)`)
	fs.VisitAll(func(f *flag.Flag) {
		for _, m := range re.FindAllStringSubmatch(f.Usage, -1) {
			known[m[1]] = true
		}
	})
	if !known["CXONE_API"] || !known["REDIS_URL"] {
		t.Fatalf("settings not found in the flags: %v", known)
	}
	return known
}

// TestDeployExamplesUseRealSettings: the Kubernetes example and the systemd environment file name
// only settings dncsync has, and the probes ask routes it serves.
func TestDeployExamplesUseRealSettings(t *testing.T) {
	known := knownSettings(t)
	f, err := os.Open("../../deploy/kubernetes/dncsync.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	kinds := map[string]bool{}
	for {
		var doc struct {
			Kind       string            `yaml:"kind"`
			StringData map[string]string `yaml:"stringData"`
			Spec       struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Env           []struct{ Name string } `yaml:"env"`
							LivenessProbe struct {
								HTTPGet struct{ Path string } `yaml:"httpGet"`
							} `yaml:"livenessProbe"`
							ReadinessProbe struct {
								HTTPGet struct{ Path string } `yaml:"httpGet"`
							} `yaml:"readinessProbe"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("dncsync.yaml: %v", err)
		}
		kinds[doc.Kind] = true
		for k := range doc.StringData {
			if !known[k] {
				t.Errorf("the Secret sets %s, which is not a setting", k)
			}
		}
		for _, c := range doc.Spec.Template.Spec.Containers {
			for _, e := range c.Env {
				if !known[e.Name] {
					t.Errorf("the Deployment sets %s, which is not a setting", e.Name)
				}
			}
			for _, p := range []string{c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path} {
				if p != "/healthz" && p != "/readyz" {
					t.Errorf("a probe asks %q", p)
				}
			}
		}
	}
	if !kinds["Secret"] || !kinds["Deployment"] || !kinds["Service"] {
		t.Fatalf("kinds %v, want a Secret, a Deployment and a Service", kinds)
	}
	env, err := os.Open("../../deploy/systemd/dncsync.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	sc := bufio.NewScanner(env)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, _, _ := strings.Cut(line, "="); !known[k] {
			t.Errorf("dncsync.env.example sets %s, which is not a setting", k)
		}
	}
}
