package dev.anewb.job;

/** Thrown inside a job when it notices it was cancelled; the job runner reports it as "cancelled", not as an error. */
public final class JobCancelledException extends RuntimeException {
    public JobCancelledException() { super("cancelled", null, false, false); }
}
