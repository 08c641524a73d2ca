import { Suspense } from "react";
import { Link, Outlet } from "react-router-dom";
import { Loading } from "@/components/ui/states";
import { SignOutButton } from "@/features/auth/components/sign-out-button";
import { useJobEvents } from "@/features/jobs/hooks/use-job-events";
import { BottomNav } from "./bottom-nav";
import { ConnectionBanner } from "./connection-banner";
import "./layout.css";

/** Banner, top bar, the page and the bottom navigation; job views kept live. */
export function AppShell() {
  useJobEvents();
  return (
    <div className="shell">
      <ConnectionBanner />
      <header className="topbar">
        <Link to="/" className="brand">Hodei<span>Jobs</span></Link>
        <SignOutButton />
      </header>
      <main className="main">
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
      <BottomNav />
    </div>
  );
}
