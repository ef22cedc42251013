// Command manifest-check validates the project's cluster manifests with the upstream projects' own
// code: Knative Services get the defaults and validation the Knative webhook applies, and func.yaml
// files are loaded and validated the way the func CLI does it.
//
// Usage: manifest-check ksvc FILE... | func DIR... | autoscaler FILE...
// Prints one line per file and exits 1 if any is invalid.
package main

import (
	"context"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	fn "knative.dev/func/pkg/functions"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	autoscalerconfig "knative.dev/serving/pkg/autoscaler/config"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: manifest-check ksvc FILE... | func DIR... | autoscaler FILE...")
		os.Exit(2)
	}
	check := map[string]func(string) error{
		"ksvc":       checkService,
		"func":       checkFunction,
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
