import { useEffect } from "react";
import { RouterProvider } from "react-router-dom";
import { AppProviders } from "./providers";
import { prefetchPages, router } from "./router";

export function App() {
  useEffect(() => {
    const timer = setTimeout(prefetchPages, 1500);
    return () => clearTimeout(timer);
  }, []);
  return (
    <AppProviders>
      <RouterProvider router={router} />
    </AppProviders>
  );
}
