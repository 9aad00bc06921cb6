import type { RetryPolicyInput } from './definition/types';

/** A node's retry policy with every field set. */
export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

/** The contract's default for a node with no `retry` and no `defaults.retry`. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 3,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
});

export function resolveRetryPolicy(node: RetryPolicyInput | undefined, defaults: RetryPolicyInput | undefined): RetryPolicy {
  return {
    maxAttempts: node?.maxAttempts ?? defaults?.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    initialBackoffMs: node?.initialBackoffMs ?? defaults?.initialBackoffMs ?? DEFAULT_RETRY_POLICY.initialBackoffMs,
    maxBackoffMs: node?.maxBackoffMs ?? defaults?.maxBackoffMs ?? DEFAULT_RETRY_POLICY.maxBackoffMs,
  };
}

/**
 * Delay before the next attempt: exponential backoff with full jitter (AWS architecture blog,
 * "Exponential Backoff And Jitter"), which spreads retries of many failing nodes instead of
 * synchronising them. `random` is injected so the core stays deterministic under test.
 *
 * @param failedAttempts how many attempts have failed so far in this retry budget (>= 1)
 * @param random a number in [0, 1)
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number, random: number): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** exponent);
  return Math.floor(random * ceiling);
}
