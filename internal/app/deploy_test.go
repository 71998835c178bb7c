package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"

	"io"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/dncsync/dncsync/internal/setting"
)

// knownSettings are the environment variables of the service's settings, as declared.
func knownSettings(t *testing.T) map[string]bool {
	known := map[string]bool{}
	for _, st := range Bind(setting.New("")).Set.All() {
		known[st.Env] = true
	}
	if !known["CXONE_API"] || !known["REDIS_URL"] {
		t.Fatalf("settings not found in the flags: %v", known)
	}
	return known
}

// TestDeployExamplesUseRealSettings: the Kubernetes manifests decode strictly into the Kubernetes
// API's own types (an unknown or misplaced field fails, as kubeconform would fail it), name only
// settings dncsync has, probe routes it serves, and hold the rules their comments state.
func TestDeployExamplesUseRealSettings(t *testing.T) {
	known := knownSettings(t)
	for _, c := range []struct {
		file     string
		embedded bool
	}{{"dncsync.yaml", false}, {"dncsync-embedded.yaml", true}} {
		t.Run(c.file, func(t *testing.T) {
			objs := decodeManifests(t, "../../deploy/kubernetes/"+c.file)
			var dep *appsv1.Deployment
			kinds := map[string]bool{}
			for _, o := range objs {
				kinds[o.kind] = true
				switch v := o.obj.(type) {
				case *corev1.Secret:
					for k := range v.StringData {
						if !known[k] {
							t.Errorf("the Secret sets %s, which is not a setting", k)
						}
					}
				case *appsv1.Deployment:
					dep = v
				}
			}
			if dep == nil || !kinds["Secret"] || !kinds["Service"] {
				t.Fatalf("kinds %v, want a Secret, a Deployment and a Service", kinds)
			}
			checkDeployment(t, dep, known, c.embedded)
			if c.embedded {
				if !kinds["PersistentVolumeClaim"] || kinds["PodDisruptionBudget"] {
					t.Errorf("kinds %v: the embedded store wants a PersistentVolumeClaim and no PodDisruptionBudget", kinds)
				}
			} else if !kinds["PodDisruptionBudget"] {
				t.Errorf("kinds %v: replicas sharing a store want a PodDisruptionBudget", kinds)
			}
		})
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

type manifest struct {
	kind string
	obj  any
}

// decodeManifests reads every document of a YAML file into the Kubernetes type its kind names,
// refusing fields the type does not have.
func decodeManifests(t *testing.T, path string) []manifest {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var out []manifest
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc == nil {
			continue
		}
		kind, _ := doc["kind"].(string)
		var obj any
		switch kind {
		case "Secret":
			obj = &corev1.Secret{}
		case "Service":
			obj = &corev1.Service{}
		case "PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		default:
			t.Fatalf("%s: a %q, which this test cannot check", path, kind)
		}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		jd := json.NewDecoder(bytes.NewReader(b))
		jd.DisallowUnknownFields()
		if err := jd.Decode(obj); err != nil {
			t.Fatalf("%s: the %s does not decode as Kubernetes' type: %v", path, kind, err)
		}
		if doc["apiVersion"] == nil || doc["metadata"] == nil {
			t.Fatalf("%s: the %s has no apiVersion or metadata", path, kind)
		}
		out = append(out, manifest{kind, obj})
	}
	return out
}

func checkDeployment(t *testing.T, dep *appsv1.Deployment, known map[string]bool, embedded bool) {
	t.Helper()
	if dep.Spec.Selector == nil {
		t.Fatal("the Deployment has no selector")
	}
	for k, v := range dep.Spec.Selector.MatchLabels {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("the selector %s=%s does not match the pod template's labels", k, v)
		}
	}
	if g := dep.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g <= 30 {
		t.Error("terminationGracePeriodSeconds must exceed DNCSYNC_SHUTDOWN_TIMEOUT (30s)")
	}
	for _, c := range dep.Spec.Template.Spec.Containers {
		if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
			t.Errorf("image %q: use a versioned tag", c.Image)
		}
		if c.ImagePullPolicy == "" {
			t.Errorf("image %q: state the pull policy", c.Image)
		}
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
			if !known[e.Name] {
				t.Errorf("the Deployment sets %s, which is not a setting", e.Name)
			}
		}
		if c.LivenessProbe == nil || c.ReadinessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet == nil {
			t.Fatal("the container wants an HTTP liveness and readiness probe")
		}
		if p := c.LivenessProbe.HTTPGet.Path; p != "/healthz" {
			t.Errorf("liveness asks %q, want /healthz", p)
		}
		// Readiness follows the store, not a destination's login (TestHealthcheckCommand holds it).
		if p := c.ReadinessProbe.HTTPGet.Path; p != "/readyz?exclude=destinations" {
			t.Errorf("readiness asks %q, want /readyz?exclude=destinations", p)
		}
		if embedded {
			if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 || dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
				t.Error("the embedded store takes a file lock: one replica, strategy Recreate")
			}
			mounted := false
			for _, m := range c.VolumeMounts {
				mounted = mounted || m.MountPath == env["DNCSYNC_DATA_DIR"]
			}
			if !mounted {
				t.Errorf("DNCSYNC_DATA_DIR=%q is not a mounted volume", env["DNCSYNC_DATA_DIR"])
			}
		}
	}
}

// TestBuildFilesStampTheVersion: the Makefile and the Dockerfile stamp the variables dncsync version
// prints (a build with -buildvcs=false has no other commit), and the image's health checks run the
// binary's own healthcheck command (distroless has no curl).
func TestBuildFilesStampTheVersion(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const pkg = "github.com/dncsync/dncsync/internal/version."
	mk, df := read("../../Makefile"), read("../../Dockerfile")
	for _, want := range []string{"-X " + pkg + "Version=$(VERSION)", "-X " + pkg + "Commit=$(COMMIT)"} {
		if !strings.Contains(mk, want) {
			t.Errorf("the Makefile does not stamp %q", want)
		}
	}
	for _, want := range []string{"-X " + pkg + "Version=${VERSION}", "-X " + pkg + "Commit=${COMMIT}",
		`HEALTHCHECK`, `CMD ["/dncsync", "healthcheck"]`} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	var compose struct {
		Services map[string]struct {
			Healthcheck struct{ Test []string } `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(read("../../deploy/compose/compose.yaml")), &compose); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(compose.Services["dncsync"].Healthcheck.Test, " "); !strings.HasPrefix(got, "CMD /dncsync healthcheck") {
		t.Errorf("the compose example's health check is %q, want the binary's healthcheck command", got)
	}
}
