package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/groupsync/groupsync/internal/engine"
)

// Approver approves a held job: it re-plans the held rules from a fresh
// read, refuses unless the source is unchanged, and starts the approval
// through the normal pipeline, returning the approval's job ID.
// engine.Engine.StartApproval is the cloud's; LocalStarter.Approve runs
// engine.Engine.Approve in process.
type Approver interface {
	Approve(ctx context.Context, jobID string) (approvalID string, err error)
}

// ApproveResponse is the answer to an approval.
type ApproveResponse struct {
	JobID     string `json:"job_id"`
	ApproveOf string `json:"approve_of"`
}

// approve runs an approval, writing the error answer itself when it
// fails. Refusals are 409 so that a caller can tell "review again" from
// "try again".
func (a *api) approve(w http.ResponseWriter, r *http.Request, id string) (string, bool) {
	if a.opts.Approver == nil {
		writeError(w, http.StatusNotImplemented, "this server cannot approve jobs")
		return "", false
	}
	newID, err := a.opts.Approver.Approve(r.Context(), id)
	switch {
	case err == nil:
		a.log.InfoContext(r.Context(), "approval started", "job", newID, "approves", id, "caller", callerFrom(r.Context()))
		return newID, true
	case errors.Is(err, engine.ErrNotFound):
		writeError(w, http.StatusNotFound, "no job "+id)
	case errors.Is(err, engine.ErrSourceChanged), errors.Is(err, engine.ErrNothingHeld), errors.Is(err, engine.ErrRuleBusy):
		a.log.WarnContext(r.Context(), "approval refused", "job", id, "caller", callerFrom(r.Context()), "err", err)
		writeError(w, http.StatusConflict, err.Error())
	default:
		a.log.ErrorContext(r.Context(), "approve", "job", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, "could not approve the job; try again")
	}
	return "", false
}

// pageApprove is the job page's Approve button: a same-origin form POST
// that lands on the approval's own job page.
func (a *api) pageApprove(w http.ResponseWriter, r *http.Request) {
	if newID, ok := a.approve(w, r, r.PathValue("id")); ok {
		http.Redirect(w, r, "/jobs/"+url.PathEscape(newID), http.StatusSeeOther)
	}
}

// Approve implements Approver: the approval runs in this process and has
// ended when Approve returns.
func (s *LocalStarter) Approve(ctx context.Context, jobID string) (string, error) {
	j, err := s.engine.Approve(ctx, jobID)
	if err != nil {
		return "", err
	}
	return j.ID, nil
}

// Rules implements ruleLister.
func (s *LocalStarter) Rules() []string { return ruleNames(s.cfg) }
