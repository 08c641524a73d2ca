import { NavLink } from "react-router-dom";
import { HomeIcon, JobsIcon, MetricsIcon, ProvidersIcon } from "./nav-icons";

const ITEMS = [
  { to: "/", label: "Dashboard", Icon: HomeIcon, end: true },
  { to: "/jobs", label: "Jobs", Icon: JobsIcon, end: false },
  { to: "/metrics", label: "Metrics", Icon: MetricsIcon, end: false },
  { to: "/providers", label: "Providers", Icon: ProvidersIcon, end: false },
] as const;

/** The manual's bottom navigation bar with its four sections. */
export function BottomNav() {
  return (
    <nav className="bottom-nav" aria-label="Main">
      {ITEMS.map((item) => (
        <NavLink key={item.to} to={item.to} end={item.end}>
          <item.Icon />
          {item.label}
        </NavLink>
      ))}
    </nav>
  );
}
