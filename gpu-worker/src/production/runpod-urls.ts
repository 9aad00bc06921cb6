/**
 * RunPod's worker URLs, built from the templates RunPod puts in the container's environment exactly
 * as runpod-python builds them, so that a Switchyard worker and a Python worker hit the same URLs.
 * Templates carry placeholders: `$ID` (the worker id in the job-take URL, the job id in the job-done
 * URL) and `$RUNPOD_POD_ID` (the worker id). runpod-python appends its parameters with a bare `&`,
 * because RunPod's templates always carry a query string already; we do the same, and use `?` only
 * when a template has none, so a hand-written template still yields a valid URL.
 */

/** Appends query parameters the way runpod-python does (`url + "&name=value"`). */
export function withQuery(url: string, params: Readonly<Record<string, string>>): string {
  const query = Object.entries(params)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  if (query === '') return url;
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

/** RUNPOD_WEBHOOK_GET_JOB with `$ID` replaced by the worker id (runpod-python's JOB_GET_URL). */
export function jobTakeUrl(template: string, workerId: string): string {
  return template.replaceAll('$ID', workerId);
}

/**
 * The job-take URL for `batchSize` jobs (runpod-python's `_job_get_url`): `/job-take/` becomes
 * `/job-take-batch/` with `batch_size` when more than one slot is free; `job_in_progress` tells
 * RunPod whether this worker still holds jobs.
 */
export function jobTakeRequestUrl(takeUrl: string, batchSize: number, jobInProgress: boolean): string {
  const base =
    batchSize > 1 ? withQuery(takeUrl.replace('/job-take/', '/job-take-batch/'), { batch_size: String(batchSize) }) : takeUrl;
  return withQuery(base, { job_in_progress: jobInProgress ? '1' : '0' });
}

/**
 * The per-job stop channel. RunPod sets no variable for it: runpod-python (rp_job.py
 * `_job_stop_url`) derives it from the job-take URL by replacing `/job-take/` with `/job-stop/`,
 * keeping the worker id and the query string (auth and routing parameters). We derive it the same
 * way; undefined when the job-take URL has no `/job-take/` segment (per-job stop is then off, as in
 * runpod-python).
 */
export function jobStopUrl(takeUrl: string): string | undefined {
  return takeUrl.includes('/job-take/') ? takeUrl.replace('/job-take/', '/job-stop/') : undefined;
}

/** RUNPOD_WEBHOOK_POST_OUTPUT (or _POST_STREAM) with `$RUNPOD_POD_ID` replaced; `$ID` stays for the job id. */
export function jobDoneUrlTemplate(template: string, workerId: string): string {
  return template.replaceAll('$RUNPOD_POD_ID', workerId);
}

/** Where one job's result and progress go (runpod-python's `_handle_result`): `isStream=false`, not a stream item. */
export function jobDoneUrl(template: string, jobId: string): string {
  return withQuery(template.replaceAll('$ID', jobId), { isStream: 'false' });
}

/** RUNPOD_WEBHOOK_PING with `$RUNPOD_POD_ID` replaced (runpod-python's Heartbeat.PING_URL). */
export function pingUrl(template: string, workerId: string): string {
  return template.replaceAll('$RUNPOD_POD_ID', workerId);
}
