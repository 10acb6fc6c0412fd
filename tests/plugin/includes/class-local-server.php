<?php
/**
 * A real HTTP server on a free 127.0.0.1 port (PHP's built-in server running a router script).
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

/**
 * Starts `php -S 127.0.0.1:<port> <router>` and stops it again.
 */
final class Local_Server {

	/**
	 * The server process.
	 *
	 * @var resource
	 */
	private $process;

	/**
	 * Its port.
	 *
	 * @var int
	 */
	public int $port;

	/**
	 * A port nothing listens on right now (the OS picked it, then we closed it).
	 */
	public static function free_port(): int {
		$socket = stream_socket_server( 'tcp://127.0.0.1:0', $errno, $errstr );
		if ( false === $socket ) {
			throw new \RuntimeException( "no free port: $errstr" );
		}
		$name = (string) stream_socket_get_name( $socket, false );
		fclose( $socket );
		return (int) substr( (string) strrchr( $name, ':' ), 1 );
	}

	/**
	 * Start a server running a router script from tests/plugin/fixtures/.
	 */
	public static function start( string $router ): self {
		$server       = new self();
		$server->port = self::free_port();
		$process      = proc_open(
			array( PHP_BINARY, '-S', '127.0.0.1:' . $server->port, dirname( __DIR__ ) . '/fixtures/' . $router ),
			array(
				0 => array( 'file', '/dev/null', 'r' ),
				1 => array( 'file', '/dev/null', 'w' ),
				2 => array( 'file', '/dev/null', 'w' ),
			),
			$pipes
		);
		if ( ! is_resource( $process ) ) {
			throw new \RuntimeException( 'could not start php -S' );
		}
		$server->process = $process;
		$deadline        = microtime( true ) + 10;
		while ( true ) {
			$connection = @fsockopen( '127.0.0.1', $server->port, $errno, $errstr, 0.2 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- refused until the server listens.
			if ( $connection ) {
				fclose( $connection );
				return $server;
			}
			if ( microtime( true ) > $deadline ) {
				$server->stop();
				throw new \RuntimeException( 'php -S did not start listening within 10 s' );
			}
			usleep( 50000 );
		}
	}

	/**
	 * A URL on this server.
	 */
	public function url( string $path = '' ): string {
		return 'http://127.0.0.1:' . $this->port . $path;
	}

	/**
	 * Stop the server.
	 */
	public function stop(): void {
		if ( is_resource( $this->process ) ) {
			proc_terminate( $this->process );
			proc_close( $this->process );
		}
	}
}
