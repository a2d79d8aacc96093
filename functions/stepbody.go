package functions

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/groupsync/groupsync/internal/engine"
)

// Pub/Sub takes messages of up to 10 MB. An apply step carries its group's
// plan and the target IDs of its members: a first sync of a 50,000-member
// group is about 3 MB of JSON, and a group of 200,000 would be over the
// limit. So a step over gzipOver travels gzipped, which its digits and
// hex IDs let shrink about three times, and says so in an attribute.
const (
	gzipOver       = 256 << 10
	attrEncoding   = "encoding"
	encodingGzip   = "gzip"
	maxStepDecoded = 512 << 20 // what one gunzipped step may grow to
)

// maxMessage is 10 MB less room for attributes and framing; tests lower it.
var maxMessage = 9_500_000

// encodeStep is a step's message body and encoding attribute ("" for
// plain JSON).
func encodeStep(s engine.Step) (body []byte, encoding string, err error) {
	body, err = json.Marshal(s)
	if err != nil {
		return nil, "", fmt.Errorf("encode %s step: %w", s.Kind, err)
	}
	if len(body) <= gzipOver {
		return body, "", nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(body); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	if buf.Len() > maxMessage {
		err := fmt.Errorf("%s step: %d bytes gzipped, over Pub/Sub's 10 MB limit on a message", s.Kind, buf.Len())
		if s.Apply != nil {
			err = fmt.Errorf("apply step of group %s (%d members to add, %d to remove): %d bytes gzipped, over Pub/Sub's 10 MB limit on a message: sync this group with the groupsync CLI",
				s.Apply.Plan.GroupID, len(s.Apply.Plan.Add), len(s.Apply.Plan.Remove), buf.Len())
		}
		return nil, "", err
	}
	return buf.Bytes(), encodingGzip, nil
}

// stepData is a message's body as JSON, gunzipped if it was sent gzipped.
func stepData(msg pubsubMsg) ([]byte, error) {
	switch msg.Attributes[attrEncoding] {
	case "":
		return msg.Data, nil
	case encodingGzip:
		zr, err := gzip.NewReader(bytes.NewReader(msg.Data))
		if err != nil {
			return nil, fmt.Errorf("gzipped step: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(zr, maxStepDecoded+1))
		if err != nil {
			return nil, fmt.Errorf("gzipped step: %w", err)
		}
		if len(data) > maxStepDecoded {
			return nil, errors.New("gzipped step: over 512 MiB when unzipped")
		}
		return data, nil
	default:
		return nil, fmt.Errorf("message encoding %q: want none or gzip", msg.Attributes[attrEncoding])
	}
}
