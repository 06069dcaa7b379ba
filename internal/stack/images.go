package stack

import (
	"context"
	"io"
	"os"

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

// FaultEnv passes a NOTIFY_FAULT switch through to the reference
// notify-server, so the self-check (or a developer) can run the stack with a
// known fault on.
func FaultEnv() map[string]string {
	if f := os.Getenv("NOTIFY_FAULT"); f != "" {
		return map[string]string{"NOTIFY_FAULT": f}
	}
	return nil
}
