import { NavLink } from "react-router-dom";

const ITEMS = [
  { to: "/", label: "Dashboard", icon: "🏠", end: true },
  { to: "/jobs", label: "Jobs", icon: "📋", end: false },
  { to: "/metrics", label: "Metrics", icon: "📊", end: false },
  { to: "/providers", label: "Providers", icon: "🖥️", end: false },
] as const;

/** The manual's bottom navigation bar with its four sections. */
export function BottomNav() {
  return (
    <nav className="bottom-nav" aria-label="Main">
      {ITEMS.map((item) => (
        <NavLink key={item.to} to={item.to} end={item.end}>
          <span className="bottom-nav__icon" aria-hidden>{item.icon}</span>
          {item.label}
        </NavLink>
      ))}
    </nav>
  );
}
