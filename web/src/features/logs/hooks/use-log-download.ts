import { useState } from "react";
import { errorMessage } from "@/lib/errors";
import { useLogsClient } from "../api/logs-api";
import { formatLogLine, toLogLine } from "../utils/log-format";

const PAGE = 10_000;

/** Downloads the job's whole stored log (GetLogs, page by page) as a file. */
export function useLogDownload(jobId: string) {
  const client = useLogsClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const download = async () => {
    setBusy(true);
    setError("");
    try {
      const parts: string[] = [];
      let after = 0n;
      for (;;) {
        const page = await client.getLogs({ jobId, afterSequence: after, limit: PAGE });
        for (const entry of page.entries) parts.push(formatLogLine(toLogLine(entry)) + "\n");
        if (!page.more || page.entries.length === 0) break;
        after = page.nextSequence;
      }
      saveFile(`${jobId}.log`, parts);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return { download, busy, error };
}

function saveFile(name: string, parts: string[]): void {
  const url = URL.createObjectURL(new Blob(parts, { type: "text/plain" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
