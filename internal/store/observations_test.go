package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

func TestObservationsSinceMergesDaysAcrossRuns(t *testing.T) {
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := o.open(t)
			r1 := newRun(0)
			r1.Observations = []audit.Observation{
				{Flow: "alipay-nsf", Day: "2024-02-28", Records: 1, Subjects: 1, Items: []string{"phone"}},
				{Flow: "alipay-nsf", Day: "2024-03-01", Records: 10, Subjects: 5, Items: []string{"phone", "email"},
					Countries: []string{"SG"}, Hosts: []string{"a.example"}, Protections: []string{"sha256"}, TLS: []string{"1.2"},
					WithoutConsent: 4, WithdrawnConsent: 1, Bytes: 100},
				{Flow: "toss", Day: "2024-03-01", Records: 7, Subjects: 7, SubjectsEstimated: true, Items: []string{"amount"}},
				{Flow: "alipay-nsf", Day: "2024-03-02", Records: 2, Subjects: 2, Items: []string{"phone"}},
			}
			r2 := newRun(1)
			r2.Observations = []audit.Observation{
				// The rest of 2024-03-01's logs, in a file the second run ingested.
				{Flow: "alipay-nsf", Day: "2024-03-01", Records: 3, Subjects: 7, Items: []string{"account_id", "phone"},
					UnknownItems: []string{"nsf_flag"}, Countries: []string{"CN", "SG"}, Hosts: []string{"b.example"},
					Protections: []string{"plain"}, TLS: []string{"1.2", "1.3"}, WithoutConsent: 3, Bytes: 50},
			}
			r3 := newRun(2)
			r3.Observations = []audit.Observation{
				{Flow: "alipay-nsf", Day: "2024-03-01", Records: 1, Subjects: 2, Items: []string{"phone"}, Bytes: 5},
			}
			for _, r := range []*audit.Run{r1, r2, r3} {
				mustSave(t, s, r)
			}

			got, err := s.ObservationsSince(ctx, "2024-03-01")
			if err != nil {
				t.Fatal(err)
			}
			want := []audit.Observation{
				{Flow: "alipay-nsf", Day: "2024-03-01", Records: 14, Subjects: 7, SubjectsEstimated: true,
					Items: []string{"account_id", "email", "phone"}, UnknownItems: []string{"nsf_flag"},
					Countries: []string{"CN", "SG"}, Hosts: []string{"a.example", "b.example"},
					Protections: []string{"plain", "sha256"}, TLS: []string{"1.2", "1.3"},
					WithoutConsent: 7, WithdrawnConsent: 1, Bytes: 155},
				r1.Observations[3], // one run: as stored
				r1.Observations[2], // one run: as stored, its estimate flag kept
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ObservationsSince (-want +got):\n%s", diff)
			}
			if _, err := s.ObservationsSince(ctx, "March"); err == nil {
				t.Error("ObservationsSince(March): no error")
			}
		})
	}
}

func TestSketchesAreStoredPerRun(t *testing.T) {
	ctx := context.Background()
	s, _ := openFile(t)
	obs := audit.Observation{Flow: "alipay-nsf", Day: "2024-03-01", Records: 3, Subjects: 3, Items: []string{"phone"}}
	r1 := newRun(0)
	r1.Observations = []audit.Observation{obs, {Flow: "toss", Day: "2024-03-01", Records: 1, Subjects: 1}}
	if err := s.SaveRunWithSketches(ctx, r1, []ObservationSketch{{Flow: "alipay-nsf", Day: "2024-03-01", Sketch: []byte("sketch-1")}}); err != nil {
		t.Fatal(err)
	}
	r2 := newRun(1)
	r2.Observations = []audit.Observation{obs}
	if err := s.SaveRunWithSketches(ctx, r2, []ObservationSketch{{Flow: "alipay-nsf", Day: "2024-03-01", Sketch: []byte("sketch-2")}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ObservationSketches(ctx, "2024-03-01")
	if err != nil {
		t.Fatal(err)
	}
	want := []ObservationSketch{
		{Flow: "alipay-nsf", Day: "2024-03-01", Sketch: []byte("sketch-1")},
		{Flow: "alipay-nsf", Day: "2024-03-01", Sketch: []byte("sketch-2")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ObservationSketches (-want +got):\n%s", diff)
	}
	if got, _ := s.ObservationSketches(ctx, "2024-03-02"); len(got) != 0 {
		t.Errorf("ObservationSketches after the last day = %v, want none", got)
	}
	// A sketch is data: editing it breaks the run's data hash.
	exec(t, rawDB(t, s.path, false), `UPDATE observations SET sketch = x'00' WHERE sketch = CAST('sketch-1' AS BLOB)`)
	problems, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Run != r1.ID {
		t.Errorf("Verify after editing a sketch: %v, want one problem on run %s", problems, r1.ID)
	}
}
