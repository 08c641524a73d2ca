import { LogStreamService } from "@/gen/hodei/log_stream_pb";
import { useClient } from "@/lib/transport";

export function useLogsClient() {
  return useClient(LogStreamService);
}
