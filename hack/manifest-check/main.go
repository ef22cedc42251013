// Command manifest-check validates the project's cluster manifests with the upstream projects' own
// code: Knative Services get the defaults and validation the Knative webhook applies, and func.yaml
// files are loaded and validated the way the func CLI does it.
//
// Usage: manifest-check ksvc FILE... | func DIR... | func-ksvc DIR... | autoscaler FILE...
// Prints one line per file and exits 1 if any is invalid.
package main

import (
	"context"
	"fmt"
	"maps"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/func/pkg/deployer"
	fn "knative.dev/func/pkg/functions"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	autoscalerconfig "knative.dev/serving/pkg/autoscaler/config"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: manifest-check ksvc FILE... | func DIR... | func-ksvc DIR... | autoscaler FILE...")
		os.Exit(2)
	}
	check := map[string]func(string) error{
		"ksvc":       checkService,
		"func":       checkFunction,
		"func-ksvc":  checkServiceFuncWouldDeploy,
		"autoscaler": checkAutoscalerConfig,
	}[os.Args[1]]
	if check == nil {
		fmt.Fprintf(os.Stderr, "unknown kind %q\n", os.Args[1])
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[2:] {
		if err := check(path); err != nil {
			failed = true
			fmt.Printf("INVALID %s: %v\n", path, err)
		} else {
			fmt.Printf("ok %s\n", path)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// checkService runs what Knative's admission webhook runs on a Service: SetDefaults, then Validate.
func checkService(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var service servingv1.Service
	if err := yaml.UnmarshalStrict(data, &service); err != nil {
		return fmt.Errorf("not a serving.knative.dev/v1 Service: %w", err)
	}
	if service.APIVersion != "serving.knative.dev/v1" || service.Kind != "Service" {
		return fmt.Errorf("apiVersion/kind is %s/%s", service.APIVersion, service.Kind)
	}
	ctx := apis.WithinCreate(context.Background())
	service.SetDefaults(ctx)
	if errs := service.Validate(ctx); errs != nil {
		return errs
	}
	return nil
}

// checkFunction loads func.yaml as the func CLI does (NewFunction) and runs its validation.
func checkFunction(dir string) error {
	f, err := fn.NewFunction(dir)
	if err != nil {
		return err
	}
	if !f.Initialized() {
		return fmt.Errorf("no func.yaml in %s", dir)
	}
	return f.Validate()
}

// checkServiceFuncWouldDeploy builds the metadata of the Knative Service that `func deploy` makes
// from a func.yaml with func's own code (its deployer's common labels and annotations, which its
// knative deployer puts on both the Service and its revision template), and runs the Knative
// webhook's defaults and validation on it. func's own Validate accepts annotations the webhook
// refuses on a Service (autoscaling ones: seen on a live cluster); this is where that shows.
// (func's pkg/k8s, which adds the container's envs and probes, needs a module the proxy refuses.)
func checkServiceFuncWouldDeploy(dir string) error {
	f, err := fn.NewFunction(dir)
	if err != nil {
		return err
	}
	container := corev1.Container{Image: "dev.local/todo/" + f.Name + ":check"}
	labels, err := deployer.GenerateCommonLabels(f, nil)
	if err != nil {
		return err
	}
	annotations := deployer.GenerateCommonAnnotations(f, nil, false, "knative")
	service := servingv1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: f.Name, Namespace: f.Namespace, Labels: labels, Annotations: annotations},
	}
	service.Spec.Template.ObjectMeta = metav1.ObjectMeta{Labels: labels, Annotations: maps.Clone(annotations)}
	service.Spec.Template.Spec.Containers = []corev1.Container{container}
	ctx := apis.WithinCreate(context.Background())
	service.SetDefaults(ctx)
	// Errors only: the warnings are about the container's security context, which func's pkg/k8s
	// (not built here) sets.
	if errs := service.Validate(ctx).Filter(apis.ErrorLevel); errs != nil {
		return errs
	}
	return nil
}

// checkAutoscalerConfig parses a config-autoscaler ConfigMap the way the autoscaler itself does.
func checkAutoscalerConfig(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var configMap corev1.ConfigMap
	if err := yaml.UnmarshalStrict(data, &configMap); err != nil {
		return fmt.Errorf("not a ConfigMap: %w", err)
	}
	if configMap.Name != autoscalerconfig.ConfigName {
		return fmt.Errorf("ConfigMap is named %q, Knative reads %q", configMap.Name, autoscalerconfig.ConfigName)
	}
	_, err = autoscalerconfig.NewConfigFromConfigMap(&configMap)
	return err
}
