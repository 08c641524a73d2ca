import { QueryClient } from "@tanstack/react-query";
import { isUnreachable } from "@/lib/errors";

/**
 * Server errors (not found, invalid argument) are final; only "cannot reach
 * hodeid" is retried, with backoff, so views heal by themselves.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        retry: (failures, err) => isUnreachable(err) && failures < 30,
        retryDelay: (attempt) => Math.min(500 * 2 ** attempt, 10_000),
      },
      mutations: { retry: false },
    },
  });
}
