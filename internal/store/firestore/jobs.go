package firestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/store"
)

func (s *Store) jobRef(id string) *firestore.DocumentRef {
	return s.c.Collection(colJobs).Doc(docID(id))
}

func (s *Store) resultRef(jobID, rule, groupID string) *firestore.DocumentRef {
	return s.jobRef(jobID).Collection(colGroups).Doc(pairID(rule, groupID))
}

// expires is when the TTL policy may delete a job's documents.
func (s *Store) expires(started time.Time) time.Time {
	if started.IsZero() {
		started = s.now()
	}
	return started.Add(s.retention)
}

func (s *Store) jobFields(j model.Job) (map[string]any, error) {
	counts, err := countsMap(j.Counts)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"id":      j.ID,
		"trigger": j.Trigger,
		"status":  j.Status,
		"started": j.Started,
		"total":   j.Total,
		"done":    j.Done,
		"counts":  counts,
		"updated": j.Updated,
		"expires": s.expires(j.Started),
	}, nil
}

// loadJob reads a job in tx; an error wrapping store.ErrNotFound when it
// does not exist.
func loadJob(tx *firestore.Transaction, ref *firestore.DocumentRef) (*firestore.DocumentSnapshot, model.Job, error) {
	doc, err := get(tx, ref)
	if err != nil {
		return nil, model.Job{}, err
	}
	if doc == nil {
		return nil, model.Job{}, store.ErrNotFound
	}
	jobs, err := decodeJobs(tx.GetAll, []*firestore.DocumentSnapshot{doc})
	if err != nil {
		return nil, model.Job{}, err
	}
	return doc, jobs[0], nil
}

// CreateJob stores a new job. It fails if the ID is taken, so a retried
// dispatch cannot reset a running job's progress.
func (s *Store) CreateJob(ctx context.Context, j model.Job) error {
	if err := required("job ID", j.ID); err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	ref := s.jobRef(j.ID)
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		old, err := get(tx, ref)
		if err != nil {
			return err
		}
		if old != nil {
			return store.ErrExists
		}
		fields, err := s.jobFields(j)
		if err != nil {
			return err
		}
		return setRecord(tx, ref, fields, j, 0)
	})
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	return nil
}

// Job returns one job, or an error wrapping store.ErrNotFound.
func (s *Store) Job(ctx context.Context, id string) (model.Job, error) {
	var j model.Job
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		var err error
		_, j, err = loadJob(tx, s.jobRef(id))
		return err
	})
	if err != nil {
		return model.Job{}, fmt.Errorf("get job %s: %w", id, err)
	}
	return j, nil
}

// Jobs lists up to limit jobs, newest first by start time then ID; limit
// <= 0 means all.
func (s *Store) Jobs(ctx context.Context, limit int) ([]model.Job, error) {
	q := s.c.Collection(colJobs).OrderBy("started", firestore.Desc).OrderBy(firestore.DocumentID, firestore.Desc)
	if limit > 0 {
		q = q.Limit(limit)
	}
	docs, err := q.Documents(ctx).GetAll()
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	jobs, err := decodeJobs(s.getAll(ctx), docs)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

func (s *Store) getAll(ctx context.Context) getAllFunc {
	return func(refs []*firestore.DocumentRef) ([]*firestore.DocumentSnapshot, error) {
		return s.c.GetAll(ctx, refs)
	}
}

// UpdateJob applies fn to the job inside a transaction, so concurrent
// updates never lose each other's changes. fn may run more than once when
// the transaction retries. An error from fn aborts the update and is
// returned wrapped; an fn that changes nothing writes nothing.
func (s *Store) UpdateJob(ctx context.Context, id string, fn func(*model.Job) error) (model.Job, error) {
	ref := s.jobRef(id)
	// Updates of one job from this process queue here instead of aborting
	// each other's transactions.
	unlock := s.lock(ref.Path)
	defer unlock()
	var j model.Job
	err := s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		doc, old, err := loadJob(tx, ref)
		if err != nil {
			return err
		}
		before, err := json.Marshal(old)
		if err != nil {
			return err
		}
		j = old
		if err := fn(&j); err != nil {
			return err
		}
		j.ID = id // the key cannot move
		after, err := json.Marshal(j)
		if err != nil {
			return err
		}
		if string(before) == string(after) {
			return errUnchanged
		}
		fields, err := s.jobFields(j)
		if err != nil {
			return err
		}
		return setRecord(tx, ref, fields, j, partsOf(doc))
	}, firestore.MaxAttempts(hotAttempts))
	if err != nil {
		return model.Job{}, fmt.Errorf("update job %s: %w", id, err)
	}
	return j, nil
}

// RecordGroupResult stores a group's result and adds it to the job in one
// transaction. A result already stored for (job, rule, group) is left
// alone: first is false and the job is returned unchanged.
//
// Thousands of groups can finish at once, so the transaction reads only the
// result document and adds to the job's done and counts fields with
// server-side increments: the job document is never read-locked, and
// concurrent results do not abort each other. The job returned is read
// after the commit, so it may include other groups' results as well; the
// result that completes a job always sees Done == Total.
func (s *Store) RecordGroupResult(ctx context.Context, r model.GroupResult) (model.Job, bool, error) {
	if err := errors.Join(required("job ID", r.JobID), required("rule", r.Rule), required("group ID", r.GroupID)); err != nil {
		return model.Job{}, false, fmt.Errorf("record group result: %w", err)
	}
	wrap := func(err error) error {
		return fmt.Errorf("record result of %s/%s in job %s: %w", r.Rule, r.GroupID, r.JobID, err)
	}
	jref := s.jobRef(r.JobID)
	rref := s.resultRef(r.JobID, r.Rule, r.GroupID)
	// Other processes only contend through Firestore; this one's workers
	// queue here rather than abort each other's increments.
	unlock := s.lock(jref.Path)
	defer unlock()
	jdoc, err := jref.Get(ctx)
	if isNotFound(err) {
		return model.Job{}, false, wrap(store.ErrNotFound)
	}
	if err != nil {
		return model.Job{}, false, wrap(err)
	}
	expires, _ := jdoc.DataAt("expires")
	counts, err := countsMap(r.Counts)
	if err != nil {
		return model.Job{}, false, wrap(err)
	}
	var first bool
	err = s.update(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		first = false
		prev, err := get(tx, rref)
		if err != nil {
			return err
		}
		if prev != nil {
			return errUnchanged
		}
		fields := map[string]any{
			"rule":     r.Rule,
			"group_id": r.GroupID,
			"email":    r.Email,
			"status":   r.Status,
			"started":  r.Started,
			"finished": r.Finished,
			"expires":  expires,
		}
		if err := setRecord(tx, rref, fields, r, 0); err != nil {
			return err
		}
		ups := []firestore.Update{{Path: "done", Value: firestore.Increment(1)}, {Path: "updated", Value: s.now()}}
		for k, v := range counts {
			if v != 0 {
				ups = append(ups, firestore.Update{FieldPath: firestore.FieldPath{"counts", k}, Value: firestore.Increment(v)})
			}
		}
		first = true
		return tx.Update(jref, ups)
	}, firestore.MaxAttempts(hotAttempts))
	if isNotFound(err) {
		return model.Job{}, false, wrap(store.ErrNotFound)
	}
	if err != nil {
		return model.Job{}, false, wrap(err)
	}
	j, err := s.Job(ctx, r.JobID)
	if err != nil {
		return model.Job{}, false, wrap(err)
	}
	return j, first, nil
}

// countsMap turns counts into the job document's counts field, keyed by
// the JSON names.
func countsMap(c model.Counts) (map[string]int64, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]int64
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// decodeJobs decodes job documents. The done, counts and updated fields,
// which RecordGroupResult changes in place, override the JSON.
func decodeJobs(getAll getAllFunc, docs []*firestore.DocumentSnapshot) ([]model.Job, error) {
	jobs, err := decodeRecords[model.Job](getAll, docs)
	if err != nil {
		return nil, err
	}
	for i, doc := range docs {
		if v, err := doc.DataAt("done"); err == nil {
			n, _ := v.(int64)
			jobs[i].Done = int(n)
		}
		if v, err := doc.DataAt("updated"); err == nil {
			if t, ok := v.(time.Time); ok {
				jobs[i].Updated = t
			}
		}
		if v, err := doc.DataAt("counts"); err == nil {
			data, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("decode %s: %w", doc.Ref.Path, err)
			}
			jobs[i].Counts = model.Counts{}
			if err := json.Unmarshal(data, &jobs[i].Counts); err != nil {
				return nil, fmt.Errorf("decode %s: counts: %w", doc.Ref.Path, err)
			}
		}
	}
	return jobs, nil
}

// GroupResults lists a job's results sorted by rule then group email. A
// missing job has no results.
func (s *Store) GroupResults(ctx context.Context, jobID string) ([]model.GroupResult, error) {
	var out []model.GroupResult
	err := s.view(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		docs, err := tx.Documents(s.jobRef(jobID).Collection(colGroups)).GetAll()
		if err != nil {
			return err
		}
		out, err = decodeRecords[model.GroupResult](tx.GetAll, docs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("results of job %s: %w", jobID, err)
	}
	slices.SortFunc(out, store.CompareResults)
	return out, nil
}

// CountResults counts a job's results for one rule with a count
// aggregation, which reads index entries rather than the results.
func (s *Store) CountResults(ctx context.Context, jobID, rule string) (int, error) {
	q := s.jobRef(jobID).Collection(colGroups).Where("rule", "==", rule)
	res, err := q.NewAggregationQuery().WithCount("n").Get(ctx)
	if err != nil {
		return 0, fmt.Errorf("count results of %s in job %s: %w", rule, jobID, err)
	}
	n, ok := res.Data()["n"].(int64)
	if !ok {
		return 0, fmt.Errorf("count results of %s in job %s: no count in %v", rule, jobID, res.Data())
	}
	return int(n), nil
}
