// <hodei/client.h> compiles as C++ (extern "C", no C-only constructs).
#include <hodei/client.h>

int main()
{
	hodei_client_options opts = HODEI_CLIENT_OPTIONS_INIT;
	hodei_client *client = nullptr;

	hodei_client_close(client);
	return static_cast<int>(opts.version - HODEI_CLIENT_OPTIONS_VERSION);
}
