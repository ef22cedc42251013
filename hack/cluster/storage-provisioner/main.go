// The minikube node's storage provisioner (image gcr.io/k8s-minikube/storage-provisioner:v5, as
// minikube v1.38.1's addon names it), built by hack/cluster/build.sh inside its minikube wrapper
// module.
//
// minikube's own cmd/storage-provisioner, built from the module proxy today, links client-go
// v0.35, whose leader election no longer has the "endpoints" lock that
// sig-storage-lib-external-provisioner/v6 asks for by default: it exits at once with "Error
// creating lock: endpoints lock is removed, migrate to leases" (the published v5 image was built
// years ago with an older client-go). This main runs minikube's own hostPath provisioner
// (k8s.io/minikube/pkg/storage) under the same provisioner name, with leader election off: the
// addon runs exactly one replica on one node.
package main

import (
	"context"
	"flag"
	"os"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/minikube/pkg/storage"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v6/controller"
)

func main() {
	pvDir := flag.String("pv-dir", "/tmp/hostpath-provisioner", "directory holding the hostPath volumes")
	klog.InitFlags(nil)
	flag.Parse()
	if err := os.MkdirAll(*pvDir, 0o755); err != nil {
		klog.Exit(err)
	}
	config, err := rest.InClusterConfig()
	if err != nil {
		klog.Exit(err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		klog.Exit(err)
	}
	// The library wants the server's version (out-of-tree provisioners need >= 1.5).
	version, err := client.Discovery().ServerVersion()
	if err != nil {
		klog.Exit(err)
	}
	provisioner := controller.NewProvisionController(client, "k8s.io/minikube-hostpath",
		storage.NewHostPathProvisioner(*pvDir), version.GitVersion, controller.LeaderElection(false))
	klog.Infof("hostPath provisioner k8s.io/minikube-hostpath on %s (leader election off)", *pvDir)
	provisioner.Run(context.Background())
}
