package dev.anewb.job;

/**
 * What a running job sees of the outside world: a place to report progress and a cancellation flag.
 * Engine code calls {@link #checkCancelled()} between units of work (a layer, a tensor, a chunk of a file)
 * so that a cancel takes effect promptly.
 */
public interface JobContext {
    /** Reports progress in [0, 1] (or a negative value for "indeterminate") with a short human message. */
    void progress(double fraction, String message);

    /** True once the job has been asked to stop. */
    boolean isCancelled();

    /** Throws {@link JobCancelledException} if the job has been asked to stop. */
    default void checkCancelled() {
        if (isCancelled()) throw new JobCancelledException();
    }

    /** A sub-context that maps this job's progress range [from, to] onto [0, 1] for a part of the work. */
    default JobContext slice(double from, double to) {
        JobContext parent = this;
        return new JobContext() {
            @Override public void progress(double fraction, String message) {
                parent.progress(fraction < 0 ? fraction : from + (to - from) * Math.min(1, Math.max(0, fraction)),
                        message);
            }
            @Override public boolean isCancelled() { return parent.isCancelled(); }
        };
    }

    /** A context for work nobody watches (tests, one-off CLI calls): never cancelled, progress ignored. */
    JobContext NONE = new JobContext() {
        @Override public void progress(double fraction, String message) { }
        @Override public boolean isCancelled() { return false; }
    };
}
