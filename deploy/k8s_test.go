package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/oceanshop/ocean/internal/config"
)

// TestKubernetesManifests checks deploy/k8s against the Kubernetes API's
// schema as the k8s.io/api types define it (the types the OpenAPI schema is
// generated from): every document decodes strictly — an unknown or
// misspelled field, a wrong type or a wrong apiVersion fails — and then the
// properties a zero-downtime shop needs hold.
func TestKubernetesManifests(t *testing.T) {
	files, _ := filepath.Glob("k8s/*.yaml")
	if len(files) < 4 {
		t.Fatalf("manifests: %v", files)
	}
	var (
		dep *appsv1.Deployment
		pdb *policyv1.PodDisruptionBudget
		svc *corev1.Service
		cm  *corev1.ConfigMap
		sec *corev1.Secret
	)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(b, []byte("\n---\n")) {
			var head struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s #%d: %v", f, i, err)
			}
			var obj any
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				dep = &appsv1.Deployment{}
				obj = dep
			case "policy/v1 PodDisruptionBudget":
				pdb = &policyv1.PodDisruptionBudget{}
				obj = pdb
			case "v1 Service":
				svc = &corev1.Service{}
				obj = svc
			case "v1 ConfigMap":
				cm = &corev1.ConfigMap{}
				obj = cm
			case "v1 Secret":
				sec = &corev1.Secret{}
				obj = sec
			default:
				t.Fatalf("%s #%d: unexpected %s %s", f, i, head.APIVersion, head.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Errorf("%s #%d (%s): does not match the schema: %v", f, i, head.Kind, err)
			}
		}
	}
	if dep == nil || pdb == nil || svc == nil || cm == nil || sec == nil {
		t.Fatal("deploy/k8s needs a Deployment, a PodDisruptionBudget, a Service, a ConfigMap and an example Secret")
	}
	if t.Failed() {
		return
	}

	ru := dep.Spec.Strategy.RollingUpdate
	if dep.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 || ru.MaxSurge == nil || ru.MaxSurge.IntValue() < 1 {
		t.Errorf("rolling update must keep every ready pod until its replacement is ready (maxUnavailable 0, maxSurge ≥ 1): %+v", dep.Spec.Strategy)
	}
	sel := dep.Spec.Selector.MatchLabels
	for k, v := range sel {
		if dep.Spec.Template.Labels[k] != v || pdb.Spec.Selector.MatchLabels[k] != v || svc.Spec.Selector[k] != v {
			t.Errorf("selector %s=%s does not match the pod template, the PDB and the Service alike", k, v)
		}
	}
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 || int32(pdb.Spec.MinAvailable.IntValue()) >= *dep.Spec.Replicas {
		t.Errorf("PDB minAvailable %v must be ≥ 1 and below the %d replicas (or drains block forever)", pdb.Spec.MinAvailable, *dep.Spec.Replicas)
	}
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("containers: %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe must be GET /readyz: %+v", c.ReadinessProbe)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe must be GET /healthz (not /readyz: a database outage must not restart every pod): %+v", c.LivenessProbe)
	}
	// The grace period covers the shutdown delay and the 15 s drain.
	delay := cm.Data["OCEAN_SHUTDOWN_DELAY"]
	if pod.TerminationGracePeriodSeconds == nil || delay == "" {
		t.Error("terminationGracePeriodSeconds and OCEAN_SHUTDOWN_DELAY must be set")
	} else if d, err := parseSeconds(delay); err != nil || int64(d)+15 > *pod.TerminationGracePeriodSeconds {
		t.Errorf("terminationGracePeriodSeconds %d < OCEAN_SHUTDOWN_DELAY %s + 15 s of drain", *pod.TerminationGracePeriodSeconds, delay)
	}
	sc := c.SecurityContext
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot || sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("the pod must run as non-root, read-only, without privilege escalation or capabilities")
	}

	// Settings: the ConfigMap holds only settings the code knows and no
	// secret; secrets come from the Secret as files, by reference.
	known := map[string]bool{}
	for _, s := range config.Settings {
		known[s.Env] = true
	}
	for k := range cm.Data {
		if !known[k] {
			t.Errorf("ConfigMap sets %s, which ocean does not know", k)
		}
		if config.Secret(k) || config.FileSettings[k] {
			t.Errorf("ConfigMap holds the secret setting %s: put it in the Secret", k)
		}
	}
	var secretVolume string
	for _, v := range pod.Volumes {
		if v.Secret != nil && v.Secret.SecretName == sec.Name {
			secretVolume = v.Name
		}
	}
	var mount string
	for _, m := range c.VolumeMounts {
		if m.Name == secretVolume {
			mount = m.MountPath
			if !m.ReadOnly {
				t.Error("the secrets volume must be mounted read-only")
			}
		}
	}
	if mount == "" {
		t.Fatalf("the Secret %q is not mounted", sec.Name)
	}
	files2 := map[string]bool{}
	for _, e := range c.Env {
		if e.Value != "" && !strings.HasSuffix(e.Name, "_FILE") && (config.Secret(e.Name) || config.FileSettings[e.Name]) {
			t.Errorf("%s is set as a plain value in the Deployment", e.Name)
		}
		if strings.HasSuffix(e.Name, "_FILE") {
			base := strings.TrimSuffix(e.Name, "_FILE")
			if !config.FileSettings[base] {
				t.Errorf("%s: %s cannot be read from a file", e.Name, base)
			}
			key := strings.TrimPrefix(e.Value, mount+"/")
			if _, ok := sec.StringData[key]; !ok || key == e.Value {
				t.Errorf("%s=%s is not a key of the Secret mounted at %s", e.Name, e.Value, mount)
			}
			files2[base] = true
		}
	}
	for _, need := range []string{"OCEAN_DATABASE_URL", "OCEAN_REDIS_URL", "OCEAN_ENCRYPTION_KEY", "OCEAN_TOKEN_KEYS"} {
		if !files2[need] {
			t.Errorf("the Deployment does not give %s (from the Secret)", need)
		}
	}
	if !strings.HasPrefix(sec.StringData["redis-url"], "redis-sentinel://") || !strings.HasPrefix(sec.StringData["database-url"], "postgres://") {
		t.Error("the example Secret must show the PostgreSQL and Redis Sentinel URLs")
	}
}

func parseSeconds(s string) (float64, error) {
	d, err := time.ParseDuration(s)
	return d.Seconds(), err
}
