package engine

// createExpecter is implemented by targets whose creates get cheaper when
// they know how many are coming: the SCIM target then reads its existing
// objects once, in pages, instead of looking each create up.
type createExpecter interface {
	ExpectCreates(kind string, n int)
}

// expectCreates announces n creates of kind to tgt, if it listens.
func expectCreates(tgt Target, kind string, n int) {
	if x, ok := tgt.(createExpecter); ok && n > 0 {
		x.ExpectCreates(kind, n)
	}
}
