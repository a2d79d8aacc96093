// Package functions is a fixture for Registrations.
package functions

import (
	"context"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	ff "github.com/GoogleCloudPlatform/functions-framework-go/functions"
)

const workName = "Work"

func init() {
	ff.HTTP("Sync", func(http.ResponseWriter, *http.Request) {})
	ff.CloudEvent(workName, func(context.Context, event.Event) error { return nil })
}
