<?php
/**
 * REST API under /wp-json/atai/v1: settings, feeds, their runs and items, the worker status and callback.
 *
 * Every route but the callback needs manage_options; the callback is authenticated by its signature.
 *
 * @package automationtools-ai
 */

namespace ATAI\REST;

use ATAI\Callback;
use ATAI\Feed;
use ATAI\Feed_Options;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Runs;
use ATAI\Settings;
use ATAI\Worker;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

const NAMESPACE_V1     = 'atai/v1';
const ROUTE_SETTINGS   = 'settings';
const ROUTE_FEEDS      = 'feeds';
const ROUTE_FEED       = 'feeds/(?P<id>\d+)';
const ROUTE_FEED_RUN   = 'feeds/(?P<id>\d+)/run';
const ROUTE_FEED_ITEMS = 'feeds/(?P<id>\d+)/items';
const ROUTE_ITEM_IMPORT = 'feeds/(?P<id>\d+)/items/(?P<key>[0-9a-f]{64})/import';
const ROUTE_STATUS     = 'worker/status';
const ROUTE_CALLBACK   = 'worker/callback';

/**
 * Register the routes.
 *
 * @since 0.1.0
 */
function register_routes(): void {
	$admin = __NAMESPACE__ . '\\Permission\\administrators_only';
	$id    = array(
		'id' => array(
			'description' => __( 'Feed ID.', 'automationtools-ai' ),
			'type'        => 'integer',
			'minimum'     => 1,
		),
	);

	register_rest_route(
		NAMESPACE_V1,
		'/' . ROUTE_SETTINGS,
		array(
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => __NAMESPACE__ . '\\get_settings',
				'permission_callback' => $admin,
			),
			array(
				'methods'             => WP_REST_Server::EDITABLE,
				'callback'            => __NAMESPACE__ . '\\update_settings',
				'permission_callback' => $admin,
				'args'                => settings_args(),
			),
			'schema' => 'ATAI\\Settings\\rest_schema',
		)
	);

	register_rest_route(
		NAMESPACE_V1,
		'/' . ROUTE_FEEDS,
		array(
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => __NAMESPACE__ . '\\list_feeds',
				'permission_callback' => $admin,
				'args'                => paging_args( 50 ),
			),
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => __NAMESPACE__ . '\\create_feed',
				'permission_callback' => $admin,
				'args'                => feed_args(),
			),
			'schema' => __NAMESPACE__ . '\\feed_schema',
		)
	);

	register_rest_route(
		NAMESPACE_V1,
		'/' . ROUTE_FEED,
		array(
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => __NAMESPACE__ . '\\get_feed',
				'permission_callback' => $admin,
				'args'                => $id,
			),
			array(
				'methods'             => WP_REST_Server::EDITABLE,
				'callback'            => __NAMESPACE__ . '\\update_feed',
				'permission_callback' => $admin,
				'args'                => $id + feed_args(),
			),
			array(
				'methods'             => WP_REST_Server::DELETABLE,
				'callback'            => __NAMESPACE__ . '\\delete_feed',
				'permission_callback' => $admin,
				'args'                => $id,
			),
			'schema' => __NAMESPACE__ . '\\feed_schema',
		)
	);

	register_rest_route(
		NAMESPACE_V1,
		'/' . ROUTE_FEED_RUN,
		array(
			'methods'             => WP_REST_Server::CREATABLE,
			'callback'            => __NAMESPACE__ . '\\run_feed',
			'permission_callback' => $admin,
			'args'                => $id,
		)
	);

	register_rest_route(
		NAMESPACE_V1,
		'/' . ROUTE_FEED_ITEMS,
		array(
			'methods'             => WP_REST_Server::READABLE,
			'callback'            => __NAMESPACE__ . '\\list_items',
			'permission_callback' => $admin,
			'args'                => $id + array(
				'per_page' => array(
					'type'    => 'integer',
					'minimum' => 1,
					'maximum' => 200,
					'default' => 50,
				),
			),
		)
	);

	register_rest_route(
		NAMESPACE_V1,
		'/' . ROUTE_ITEM_IMPORT,
		array(
			'methods'             => WP_REST_Server::CREATABLE,
			'callback'            => __NAMESPACE__ . '\\import_item_anyway',
			'permission_callback' => $admin,
			'args'                => $id + array(
				'key' => array(
					'type'    => 'string',
					'pattern' => '^[0-9a-f]{64}$',
				),
			),
		)
	);

	register_rest_route(
		NAMESPACE_V1,
		'/' . ROUTE_STATUS,
		array(
			'methods'             => WP_REST_Server::READABLE,
			'callback'            => __NAMESPACE__ . '\\worker_status',
			'permission_callback' => $admin,
		)
	);

	register_rest_route(
		NAMESPACE_V1,
		'/' . ROUTE_CALLBACK,
		array(
			'methods'             => WP_REST_Server::CREATABLE,
			'callback'            => __NAMESPACE__ . '\\worker_callback',
			// Not a login: the worker proves itself with an HMAC of the body (see inc/callback.php).
			'permission_callback' => 'ATAI\\Callback\\verify',
		)
	);
}

/**
 * The page and per_page arguments of a route that lists in pages (at most 100 a page).
 *
 * @since 0.3.0
 *
 * @param int $per_page The page size when none is asked for.
 * @return array<string, array<string, mixed>>
 */
function paging_args( int $per_page ): array {
	return array(
		'page'     => array(
			'type'    => 'integer',
			'minimum' => 1,
			'default' => 1,
		),
		'per_page' => array(
			'type'    => 'integer',
			'minimum' => 1,
			'maximum' => 100,
			'default' => $per_page,
		),
	);
}

/**
 * Arguments of the settings update: each validated by the same sanitizer as the settings form.
 *
 * @since 0.1.0
 *
 * @return array<string, array<string, mixed>>
 */
function settings_args(): array {
	$properties = Settings\rest_schema()['properties'];
	$args       = array();
	foreach ( Settings\definitions() as $option => $definition ) {
		$name          = $definition['rest'];
		$args[ $name ] = array(
			'description'       => $properties[ $name ]['description'] ?? '',
			'type'              => $definition['type'],
			'validate_callback' => static function ( $value ) use ( $option ) {
				$clean = Settings\clean( $option, $value );
				return is_wp_error( $clean ) ? $clean : true;
			},
		);
	}
	return $args;
}

/**
 * GET settings.
 *
 * @since 0.1.0
 */
function get_settings(): WP_REST_Response {
	return rest_ensure_response( Settings\to_rest() );
}

/**
 * POST settings: change the given fields; secrets are write-only (an empty string clears one).
 *
 * @since 0.1.0
 *
 * @return WP_REST_Response|WP_Error
 */
function update_settings( WP_REST_Request $request ) {
	$params = array();
	foreach ( Settings\definitions() as $definition ) {
		if ( $request->has_param( $definition['rest'] ) ) {
			$params[ $definition['rest'] ] = $request->get_param( $definition['rest'] );
		}
	}
	$done = Settings\update_from_rest( $params );
	if ( is_wp_error( $done ) ) {
		return $done;
	}
	return rest_ensure_response( Settings\to_rest() );
}

/**
 * Arguments of feed create and update, validated by Feeds\check_field() (the URL is required on create,
 * which Feeds\validate() enforces after the permission check).
 *
 * @since 0.1.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_args(): array {
	$properties = feed_schema()['properties'];
	$args       = array();
	foreach ( Feed::editable() as $field ) {
		$args[ $field ] = array(
			'description'       => $properties[ $field ]['description'] ?? '',
			'type'              => $properties[ $field ]['type'],
			// The form of the value only: checks that read the database run after the permission check.
			'validate_callback' => static function ( $value ) use ( $field ) {
				$clean = Feeds\check_field( $field, $value );
				return is_wp_error( $clean ) ? $clean : true;
			},
		);
		if ( isset( $properties[ $field ]['enum'] ) ) {
			$args[ $field ]['enum'] = $properties[ $field ]['enum'];
		}
	}
	return $args;
}

/**
 * A Feeds\validate() error in the shape of core's argument errors: 400, "Invalid parameter(s): url",
 * each field's message under data.params.
 *
 * @since 0.1.0
 */
function invalid_params( WP_Error $error ): WP_Error {
	if ( 'atai_invalid_feed' !== $error->get_error_code() ) {
		return $error;
	}
	$params = Feeds\field_messages( $error );
	return new WP_Error(
		'rest_invalid_param',
		/* translators: %s: comma-separated list of parameter names. */
		sprintf( __( 'Invalid parameter(s): %s', 'automationtools-ai' ), implode( ', ', array_keys( $params ) ) ),
		array(
			'status' => 400,
			'params' => $params,
		)
	);
}

/**
 * The JSON schema of a feed.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>
 */
function feed_schema(): array {
	$date      = array(
		'type'     => array( 'string', 'null' ),
		'format'   => 'date-time',
		'readonly' => true,
	);
	$read_only = array( 'readonly' => true );
	return array(
		'$schema'    => 'http://json-schema.org/draft-04/schema#',
		'title'      => 'atai-feed',
		'type'       => 'object',
		'properties' => array(
			'id'          => array( 'type' => 'integer' ) + $read_only,
			'url'         => array(
				'description' => __( 'The feed\'s address (http or https).', 'automationtools-ai' ),
				'type'        => 'string',
				'format'      => 'uri',
			),
			'title'       => array(
				'description' => __( 'Title; filled from the feed after its first run when empty.', 'automationtools-ai' ),
				'type'        => 'string',
			),
			'status'      => array(
				'description' => __( 'Whether the feed runs on its schedule.', 'automationtools-ai' ),
				'type'        => 'string',
				'enum'        => Feeds\STATUSES,
			),
			'post_status' => array(
				'description' => __( 'Status of the posts it makes.', 'automationtools-ai' ),
				'type'        => 'string',
				'enum'        => Feeds\POST_STATUSES,
			),
			'author'      => array(
				'description' => __( 'User ID of the posts\' author.', 'automationtools-ai' ),
				'type'        => 'integer',
			),
			'category'    => array(
				'description' => __( 'Category ID of the posts.', 'automationtools-ai' ),
				'type'        => 'integer',
			),
			'max_posts'   => array(
				'description' => __( 'Maximum posts per run.', 'automationtools-ai' ),
				'type'        => 'integer',
				'minimum'     => Feeds\MAX_POSTS_MIN,
				'maximum'     => Feeds\MAX_POSTS_MAX,
			),
			'interval'    => array(
				'description' => __( 'Check interval.', 'automationtools-ai' ),
				'type'        => 'string',
				'enum'        => array_keys( Feed::intervals() ),
			),
			'next_run'    => $date,
			'last_run'    => $date,
			'last_status' => array(
				'type' => array( 'string', 'null' ),
				'enum' => array( 'done', 'failed', null ),
			) + $read_only,
			'last_error'  => array(
				'description' => __( 'What went wrong last, in words.', 'automationtools-ai' ),
				'type'        => array( 'object', 'null' ),
				'properties'  => array(
					'code'    => array( 'type' => 'string' ),
					'message' => array( 'type' => 'string' ),
				),
			) + $read_only,
			'posts_made'  => array( 'type' => 'integer' ) + $read_only,
			'current_run' => array(
				'description' => __( 'The run at the worker, or null.', 'automationtools-ai' ),
				'type'        => array( 'string', 'null' ),
			) + $read_only,
			'run_started' => $date,
			'created'     => $date,
			'health'      => \ATAI\Health\rest_schema(),
			'note'        => array(
				'description' => __( 'What a run changed on its own (a new address, a pause), in words; null when there is nothing to tell.', 'automationtools-ai' ),
				'type'        => array( 'string', 'null' ),
			) + $read_only,
		) + Feed_Options\rest_properties(),
	);
}

/**
 * A feed response with its links.
 *
 * @since 0.1.0
 *
 * @param Feed $feed The feed.
 */
function feed_response( Feed $feed, int $status = 200 ): WP_REST_Response {
	$posts    = Ledger\count_posted( array( $feed->id ) )[ $feed->id ];
	$response = new WP_REST_Response( $feed->to_rest( $posts ), $status );
	$base     = NAMESPACE_V1 . '/' . ROUTE_FEEDS . '/' . $feed->id;
	$response->add_links(
		array(
			'self'  => array( 'href' => rest_url( $base ) ),
			'items' => array( 'href' => rest_url( $base . '/items' ) ),
		)
	);
	return $response;
}

/**
 * GET feeds.
 *
 * @since 0.1.0
 */
function list_feeds( WP_REST_Request $request ): WP_REST_Response {
	$per_page = (int) $request['per_page'];
	$feeds    = Feeds\all( $per_page, ( (int) $request['page'] - 1 ) * $per_page );
	$counts   = Ledger\count_posted( array_column( $feeds, 'id' ) );
	$data     = array();
	foreach ( $feeds as $feed ) {
		$data[] = $feed->to_rest( $counts[ $feed->id ] );
	}
	$response = rest_ensure_response( $data );
	$response->header( 'X-WP-Total', (string) Feeds\count_all() );
	return $response;
}

/**
 * POST feeds.
 *
 * @since 0.1.0
 *
 * @return WP_REST_Response|WP_Error
 */
function create_feed( WP_REST_Request $request ) {
	$id = Feeds\create( feed_params( $request ) );
	if ( is_wp_error( $id ) ) {
		return invalid_params( $id );
	}
	return feed_response( Feeds\get( $id ), 201 );
}

/**
 * The editable fields present in a request.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>
 */
function feed_params( WP_REST_Request $request ): array {
	$params = array();
	foreach ( Feed::editable() as $field ) {
		if ( $request->has_param( $field ) ) {
			$params[ $field ] = $request->get_param( $field );
		}
	}
	return $params;
}

/**
 * The feed a request names, or a 404 error.
 *
 * @since 0.1.0
 *
 * @return Feed|WP_Error
 */
function requested_feed( WP_REST_Request $request ) {
	$id   = (int) $request['id'];
	$feed = Feeds\get( $id );
	return null === $feed ? Feeds\not_found( $id ) : $feed;
}

/**
 * GET feeds/{id}.
 *
 * @since 0.1.0
 *
 * @return WP_REST_Response|WP_Error
 */
function get_feed( WP_REST_Request $request ) {
	$feed = requested_feed( $request );
	return is_wp_error( $feed ) ? $feed : feed_response( $feed );
}

/**
 * PUT/PATCH feeds/{id}: change the given fields.
 *
 * @since 0.1.0
 *
 * @return WP_REST_Response|WP_Error
 */
function update_feed( WP_REST_Request $request ) {
	$feed = requested_feed( $request );
	if ( is_wp_error( $feed ) ) {
		return $feed;
	}
	$done = Feeds\update( $feed->id, feed_params( $request ) );
	if ( is_wp_error( $done ) ) {
		return invalid_params( $done );
	}
	return feed_response( Feeds\get( $feed->id ) );
}

/**
 * DELETE feeds/{id}: the feed and its ledger go, its posts stay.
 *
 * @since 0.1.0
 *
 * @return WP_REST_Response|WP_Error
 */
function delete_feed( WP_REST_Request $request ) {
	$feed = requested_feed( $request );
	if ( is_wp_error( $feed ) ) {
		return $feed;
	}
	$previous = $feed->to_rest( Ledger\count_posted( array( $feed->id ) )[ $feed->id ] );
	$done     = Feeds\delete( $feed->id );
	if ( is_wp_error( $done ) ) {
		return $done;
	}
	return rest_ensure_response(
		array(
			'deleted'  => true,
			'previous' => $previous,
		)
	);
}

/**
 * POST feeds/{id}/run: dispatch now.
 *
 * @since 0.1.0
 *
 * @return WP_REST_Response|WP_Error
 */
function run_feed( WP_REST_Request $request ) {
	$feed = requested_feed( $request );
	if ( is_wp_error( $feed ) ) {
		return $feed;
	}
	$run = Runs\dispatch( $feed );
	if ( is_wp_error( $run ) ) {
		return $run;
	}
	$response = feed_response( Feeds\get( $feed->id ) );
	$response->set_data(
		array(
			'run_id' => $run['run_id'],
			'feed'   => $response->get_data(),
		)
	);
	return $response;
}

/**
 * GET worker/status: the "Test connection" button.
 *
 * @since 0.1.0
 *
 * @return WP_REST_Response|WP_Error
 */
function worker_status() {
	$status = Worker\status();
	if ( is_wp_error( $status ) ) {
		return $status;
	}
	return rest_ensure_response(
		array(
			'ok'      => true,
			'message' => status_message( $status ),
			'worker'  => $status,
		)
	);
}

/**
 * The worker's status in words, with what the WordPress settings change about it.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $status A contract Status.
 */
function status_message( array $status ): string {
	/* translators: %s: worker version. */
	$parts = array( sprintf( __( 'Connected to the worker (version %s).', 'automationtools-ai' ), $status['version'] ) );
	$ai    = $status['ai'];
	if ( $ai['configured'] ) {
		$parts[] = sprintf(
			/* translators: 1: AI endpoint URL, 2: model name. */
			__( 'Its environment configures the AI endpoint %1$s with the model %2$s.', 'automationtools-ai' ),
			$ai['base_url'] ?? __( 'of OpenAI', 'automationtools-ai' ),
			$ai['model'] ?? __( '(default)', 'automationtools-ai' )
		);
	} else {
		$parts[] = __( 'Its environment configures no AI endpoint.', 'automationtools-ai' );
	}
	$here = '' !== Settings\get( Settings\AI_BASE_URL ) || '' !== Settings\get( Settings\AI_API_KEY );
	if ( ! Settings\get( Settings\AI_ENABLED ) ) {
		$parts[] = __( 'AI rewriting is off in these settings: posts will be the cleaned original text.', 'automationtools-ai' );
	} elseif ( $here ) {
		$parts[] = __( 'The AI base URL or API key set here override it.', 'automationtools-ai' );
	} elseif ( ! $ai['configured'] ) {
		$parts[] = __( 'Posts will be the cleaned original text until an AI API key or base URL is set here or in the worker\'s environment.', 'automationtools-ai' );
	}
	/* translators: 1: queue backend (sqlite or redis), 2: number of jobs waiting. */
	$parts[] = sprintf( __( 'Queue: %1$s, %2$d waiting.', 'automationtools-ai' ), $status['queue']['backend'], $status['queue']['pending'] );
	return implode( ' ', $parts );
}

/**
 * POST worker/callback (signature checked by the permission callback).
 *
 * @since 0.1.0
 *
 * @return WP_REST_Response|WP_Error
 */
function worker_callback( WP_REST_Request $request ) {
	$result = Callback\handle( $request );
	return is_wp_error( $result ) ? $result : rest_ensure_response( $result );
}
