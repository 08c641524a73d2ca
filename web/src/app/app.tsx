import { useEffect } from "react";
import { RouterProvider } from "react-router-dom";
import { AuthGate } from "@/features/auth/components/auth-gate";
import { AppProviders } from "./providers";
import { prefetchPages, router } from "./router";

export function App() {
  useEffect(() => {
    const timer = setTimeout(prefetchPages, 1500);
    return () => clearTimeout(timer);
  }, []);
  return (
    <AppProviders>
      <AuthGate>
        <RouterProvider router={router} />
      </AuthGate>
    </AppProviders>
  );
}
