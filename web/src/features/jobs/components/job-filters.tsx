import { Segmented } from "@/components/ui/segmented";
import { JOB_FILTERS, type JobFilter } from "../utils/job-state";

export function JobFilters({ filter, onFilter, search, onSearch }: {
  filter: JobFilter;
  onFilter: (f: JobFilter) => void;
  search: string;
  onSearch: (s: string) => void;
}) {
  return (
    <div className="jobs-toolbar">
      <Segmented label="Filter jobs by state" options={JOB_FILTERS} value={filter} onChange={onFilter} />
      <input
        type="search"
        placeholder="Search by name or ID"
        aria-label="Search jobs by name or ID"
        value={search}
        onChange={(e) => onSearch(e.target.value)}
      />
    </div>
  );
}
