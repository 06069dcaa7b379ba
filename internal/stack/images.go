package stack

import (
	"context"
	"errors"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/fechatter/notify-e2e/internal/images"
	"github.com/fechatter/notify-e2e/internal/settings"
	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// ResolveImages picks every service's image: an E2E_*_IMAGE override wins,
// otherwise the local build, built when its tag is missing.
func ResolveImages(ctx context.Context, set settings.Settings, log io.Writer) (Images, error) {
	pick := func(override string, build func(context.Context, io.Writer) (string, error),
	) (string, error) {
		if override != "" {
			return override, nil
		}
		bctx, cancel := context.WithTimeout(ctx, timeouts.ImageBuild)
		defer cancel()
		return build(bctx, log)
	}
	var imgs Images
	var err error
	if imgs.NATS, err = pick(set.NATSImage, images.NATS); err != nil {
		return imgs, err
	}
	if imgs.Postgres, err = pick(set.PostgresImage, images.Postgres); err != nil {
		return imgs, err
	}
	if imgs.Nginx, err = pick(set.NginxImage, images.Nginx); err != nil {
		return imgs, err
	}
	imgs.Notify, err = pick(set.NotifyImage, images.NotifyServer)
	return imgs, err
}

// OptionsFor is the stack the inputs describe, with its files in dir.
func OptionsFor(root string, set settings.Settings, imgs Images, dir string, log io.Writer,
) Options {
	return Options{
		Root:      root,
		Images:    imgs,
		Replicas:  set.NotifyReplicas,
		NginxConf: set.NginxConf,
		NotifyEnv: FaultEnv(set),
		Dir:       dir,
		Keep:      set.Keep,
		Log:       log,
	}
}

// FaultEnv passes a NOTIFY_FAULT switch through to the reference
// notify-server, so the self-check (or a developer) can run the stack with a
// known fault on.
func FaultEnv(set settings.Settings) map[string]string {
	if set.NotifyFault == "" {
		return nil
	}
	return map[string]string{"NOTIFY_FAULT": set.NotifyFault}
}

// CheckImages makes sure every image named by an E2E_*_IMAGE variable is
// here: no registry is reachable, so a missing one cannot be pulled, and the
// run should stop before any container starts.
func CheckImages(ctx context.Context, set settings.Settings) error {
	cli, err := dockerClient(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	var errs []error
	for _, img := range []struct{ name, ref string }{
		{"E2E_NOTIFY_IMAGE", set.NotifyImage}, {"E2E_NATS_IMAGE", set.NATSImage},
		{"E2E_NGINX_IMAGE", set.NginxImage}, {"E2E_POSTGRES_IMAGE", set.PostgresImage},
	} {
		if img.ref == "" {
			continue
		}
		_, err := cli.ImageInspect(ctx, img.ref)
		switch {
		case cerrdefs.IsNotFound(err):
			errs = append(errs, fmt.Errorf("%s=%q: no such image on this machine, and no "+
				"registry can be reached to pull it; load it (docker load -i image.tar) or "+
				"build it first", img.name, img.ref))
		case err != nil:
			errs = append(errs, fmt.Errorf("inspect %s=%q: %w", img.name, img.ref, err))
		}
	}
	return errors.Join(errs...)
}
