import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { Pager } from "@/components/ui/pager";
import { Empty, ErrorState, Loading } from "@/components/ui/states";
import { errorMessage } from "@/lib/errors";
import { formatNumber, num } from "@/lib/format";
import { useDebounced } from "@/lib/use-debounced";
import { useJobList } from "../hooks/use-job-list";
import { parseJobFilter, type JobFilter } from "../utils/job-state";
import { JobFilters } from "./job-filters";
import { JobTable } from "./job-table";

const PAGE_SIZE = 25;

/**
 * Filters, search and server-side pages of the job history.  The filter and
 * the search live in the URL (?state=failed&q=nightly), so a reload, a
 * bookmark or a shared link shows the same list.
 */
export function JobsBrowser() {
  const [params, setParams] = useSearchParams();
  const filter = parseJobFilter(params.get("state"));
  const search = params.get("q") ?? "";
  const setUrl = (next: { state?: JobFilter; q?: string }) =>
    setParams(
      (p) => {
        const out = new URLSearchParams(p);
        const state = next.state ?? parseJobFilter(p.get("state"));
        const q = next.q ?? p.get("q") ?? "";
        if (state === "all") out.delete("state");
        else out.set("state", state);
        if (q === "") out.delete("q");
        else out.set("q", q);
        return out;
      },
      { replace: true },
    );
  const setFilter = (f: JobFilter) => setUrl({ state: f });
  const setSearch = (s: string) => setUrl({ q: s });
  const [tokens, setTokens] = useState<string[]>([""]);
  const debouncedSearch = useDebounced(search, 250);
  const pageToken = tokens[tokens.length - 1];
  const query = useJobList({ filter, search: debouncedSearch, pageToken, pageSize: PAGE_SIZE });

  const resetPages = () => setTokens([""]);
  const next = query.data?.nextPageToken ?? "";

  return (
    <>
      <JobFilters
        filter={filter}
        onFilter={(f) => { setFilter(f); resetPages(); }}
        search={search}
        onSearch={(s) => { setSearch(s); resetPages(); }}
      />
      {query.isPending ? (
        <Loading label="Loading jobs…" />
      ) : query.isError && !query.data ? (
        <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />
      ) : query.data.jobs.length === 0 && next === "" && tokens.length === 1 ? (
        <Empty>{debouncedSearch || filter !== "all" ? "No jobs match." : "No jobs yet. Schedule one with + New Job."}</Empty>
      ) : (
        <>
          {query.data.jobs.length > 0 ? (
            <JobTable jobs={query.data.jobs} />
          ) : next !== "" ? (
            <Empty>No matches in the jobs searched so far. Next → searches further.</Empty>
          ) : (
            <Empty>No more jobs match.</Empty>
          )}
          <Pager
            page={tokens.length}
            total={`${formatNumber(num(query.data.totalCount))}${query.data.totalIsLowerBound ? "+" : ""} jobs`}
            hasNext={next !== ""}
            busy={query.isFetching && query.isPlaceholderData}
            onPrev={() => setTokens((t) => (t.length > 1 ? t.slice(0, -1) : t))}
            onNext={() => setTokens((t) => [...t, next])}
          />
        </>
      )}
    </>
  );
}
