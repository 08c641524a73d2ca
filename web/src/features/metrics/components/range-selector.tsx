import { Segmented } from "@/components/ui/segmented";
import { RANGES, type RangeKey } from "../api/metrics-api";

export function RangeSelector({ value, onChange }: { value: RangeKey; onChange: (r: RangeKey) => void }) {
  return <Segmented label="Time range" options={RANGES} value={value} onChange={onChange} />;
}
