/* <hodei/client.h> compiles alone (this file is built as C11 -pedantic and as C++). */
#include <hodei/client.h>

int main(void)
{
	hodei_client_options opts = HODEI_CLIENT_OPTIONS_INIT;
	hodei_queue_status status = { HODEI_QUEUE_STATUS_VERSION, 0, 0, 0, 0, 0 };

	return (int)(opts.version - HODEI_CLIENT_OPTIONS_VERSION) + (int)status.queued;
}
