<?php
/**
 * Site Health: is the importer alive? The worker, its contract version and its queue, WP-Cron's tick,
 * the AI endpoint; and a section of the plugin's settings for support, without any secret.
 *
 * @package automationtools-ai
 */

namespace ATAI\Site_Health;

use ATAI\Admin\Settings_Page;
use ATAI\Clock;
use ATAI\Contract;
use ATAI\Feeds;
use ATAI\Health;
use ATAI\Schema;
use ATAI\Settings;
use ATAI\Worker;
use WP_Error;

/** More runs than this waiting in the worker's queue is a backlog worth a look. */
const BACKLOG = 20;

/**
 * Add the plugin's tests to Site Health (the AI endpoint's is asynchronous: it calls the model).
 *
 * @since 0.2.0
 *
 * @param array<string, array<string, mixed>> $tests Tests by kind (direct, async).
 * @return array<string, array<string, mixed>>
 */
function add_tests( $tests ) {
	$tests['direct']['atai_worker'] = array(
		'label' => __( 'AutomationTools.AI worker', 'automationtools-ai' ),
		'test'  => __NAMESPACE__ . '\\test_worker',
	);
	$tests['direct']['atai_cron']   = array(
		'label' => __( 'AutomationTools.AI schedule', 'automationtools-ai' ),
		'test'  => __NAMESPACE__ . '\\test_cron',
	);
	$tests['direct']['atai_queue']  = array(
		'label' => __( 'AutomationTools.AI queue', 'automationtools-ai' ),
		'test'  => __NAMESPACE__ . '\\test_queue',
	);
	$tests['async']['atai_ai']      = array(
		'label'             => __( 'AutomationTools.AI AI endpoint', 'automationtools-ai' ),
		'test'              => rest_url( \ATAI\REST\NAMESPACE_V1 . '/' . \ATAI\REST\Site_Health\ROUTE ),
		'has_rest'          => true,
		'async_direct_test' => __NAMESPACE__ . '\\test_ai',
	);
	return $tests;
}

/**
 * The worker's status, asked once per request (the tests share it).
 *
 * @since 0.2.0
 *
 * @param bool $fresh Ask again (tests that change the worker between calls).
 * @return array<string, mixed>|WP_Error A contract Status.
 */
function worker_status( bool $fresh = false ) {
	static $status = null;
	if ( null === $status || $fresh ) {
		$status = Worker\status();
	}
	return $status;
}

/**
 * A Site Health result with the plugin's badge.
 *
 * @since 0.2.0
 *
 * @param string $test        Test name.
 * @param string $status      good, recommended or critical.
 * @param string $label       Headline.
 * @param string $description What it means, plain text (escaped here).
 * @param string $actions     HTML of the actions (escaped by the caller).
 * @return array<string, mixed>
 */
function result( string $test, string $status, string $label, string $description, string $actions = '' ): array {
	return array(
		'test'        => $test,
		'status'      => $status,
		'label'       => $label,
		'badge'       => array(
			'label' => __( 'AutomationTools.AI', 'automationtools-ai' ),
			'color' => 'good' === $status ? 'blue' : ( 'critical' === $status ? 'red' : 'orange' ),
		),
		'description' => '<p>' . esc_html( $description ) . '</p>',
		'actions'     => $actions,
	);
}

/**
 * A link to the plugin's settings, for the actions of a result.
 *
 * @since 0.2.0
 */
function settings_action(): string {
	return '<p><a href="' . esc_url( add_query_arg( 'page', Settings_Page\SLUG, admin_url( 'admin.php' ) ) ) . '">' . esc_html__( 'Open the AutomationTools.AI settings', 'automationtools-ai' ) . '</a></p>';
}

/**
 * The contract version this plugin speaks.
 *
 * @since 0.2.0
 */
function contract_version(): string {
	return (string) ( Contract\document()['info']['version'] ?? '' );
}

/**
 * Test: the worker answers, with the shared secret, and speaks the same contract version.
 *
 * @since 0.2.0
 *
 * @return array<string, mixed>
 */
function test_worker(): array {
	$status = worker_status();
	if ( is_wp_error( $status ) ) {
		return result(
			'atai_worker',
			'critical',
			__( 'The AutomationTools.AI worker cannot be reached', 'automationtools-ai' ),
			/* translators: %s: why the worker could not be reached, in words. */
			sprintf( __( 'Feeds are not imported while the worker does not answer. %s', 'automationtools-ai' ), $status->get_error_message() ),
			settings_action()
		);
	}
	$ours   = contract_version();
	$theirs = $status['contract'] ?? null;
	if ( null === $theirs || $theirs !== $ours ) {
		return result(
			'atai_worker',
			'critical',
			__( 'The AutomationTools.AI worker speaks another version of the API', 'automationtools-ai' ),
			null === $theirs
				/* translators: 1: the worker's version, 2: the API version the plugin speaks. */
				? sprintf( __( 'The worker (version %1$s) does not say which API version it speaks, so it is older than this plugin, which speaks version %2$s. Update the worker.', 'automationtools-ai' ), $status['version'], $ours )
				/* translators: 1: the worker's version, 2: the API version it speaks, 3: the API version the plugin speaks. */
				: sprintf( __( 'The worker (version %1$s) speaks API version %2$s; this plugin speaks version %3$s. Install the same release of both.', 'automationtools-ai' ), $status['version'], $theirs, $ours )
		);
	}
	return result(
		'atai_worker',
		'good',
		__( 'The AutomationTools.AI worker answers', 'automationtools-ai' ),
		/* translators: 1: the worker's address, 2: the worker's version, 3: the API version. */
		sprintf( __( 'The worker at %1$s (version %2$s) answered with the shared secret and speaks API version %3$s, like this plugin.', 'automationtools-ai' ), Worker\display_url( Settings\get( Settings\WORKER_URL ) ), $status['version'], $ours )
	);
}

/**
 * Test: WP-Cron runs the plugin's tick every minute (the age of the last one).
 *
 * @since 0.2.0
 *
 * @return array<string, mixed>
 */
function test_cron(): array {
	$last   = (int) get_option( Health\LAST_TICK_OPTION, 0 );
	$advice = sprintf(
		/* translators: %s: the address of wp-cron.php. */
		__( 'WP-Cron runs only when someone visits the site, and not at all when DISABLE_WP_CRON is set. Let the server\'s own cron call %s every minute, for example with the crontab line: * * * * * wget -q -O /dev/null "<that address>?doing_wp_cron"', 'automationtools-ai' ),
		site_url( 'wp-cron.php' )
	);
	if ( 0 === $last ) {
		return result(
			'atai_cron',
			'recommended',
			__( 'WP-Cron has not run the AutomationTools.AI schedule yet', 'automationtools-ai' ),
			/* translators: %s: advice on running WP-Cron from the system's cron. */
			sprintf( __( 'Feeds are checked by a task that WP-Cron runs every minute, and it has never run. %s', 'automationtools-ai' ), $advice )
		);
	}
	$age = time() - $last;
	if ( $age > Health\TICK_STALE_AFTER ) {
		return result(
			'atai_cron',
			'recommended',
			__( 'WP-Cron is not running the AutomationTools.AI schedule on time', 'automationtools-ai' ),
			/* translators: 1: time span such as "2 hours", 2: advice on running WP-Cron from the system's cron. */
			sprintf( __( 'The task that checks feeds should run every minute; it last ran %1$s ago. %2$s', 'automationtools-ai' ), human_time_diff( $last, time() ), $advice )
		);
	}
	return result(
		'atai_cron',
		'good',
		__( 'WP-Cron runs the AutomationTools.AI schedule', 'automationtools-ai' ),
		/* translators: %s: time span such as "30 secs". */
		sprintf( __( 'The task that checks feeds last ran %s ago; it runs every minute.', 'automationtools-ai' ), human_time_diff( $last, time() ) )
	);
}

/**
 * Test: the worker's queue is not backed up.
 *
 * @since 0.2.0
 *
 * @return array<string, mixed>
 */
function test_queue(): array {
	$status = worker_status();
	if ( is_wp_error( $status ) ) {
		return result(
			'atai_queue',
			'recommended',
			__( 'The AutomationTools.AI queue cannot be read', 'automationtools-ai' ),
			__( 'The worker does not answer, so how many runs wait in its queue is unknown; see the worker\'s own test above.', 'automationtools-ai' )
		);
	}
	$pending = (int) $status['queue']['pending'];
	if ( $pending > BACKLOG ) {
		return result(
			'atai_queue',
			'recommended',
			__( 'The AutomationTools.AI worker has a backlog', 'automationtools-ai' ),
			sprintf(
				/* translators: 1: number of runs waiting, 2: queue backend (sqlite or redis). */
				_n( '%1$d run waits in the worker\'s queue (%2$s). Posts arrive late while it works through them: give it more consumer threads (ATAI_CONSUMER_WORKERS), or more machines on a shared Redis queue.', '%1$d runs wait in the worker\'s queue (%2$s). Posts arrive late while it works through them: give it more consumer threads (ATAI_CONSUMER_WORKERS), or more machines on a shared Redis queue.', $pending, 'automationtools-ai' ),
				$pending,
				$status['queue']['backend']
			)
		);
	}
	return result(
		'atai_queue',
		'good',
		__( 'The AutomationTools.AI worker keeps up with its queue', 'automationtools-ai' ),
		sprintf(
			/* translators: 1: number of runs waiting, 2: queue backend (sqlite or redis). */
			_n( '%1$d run waits in the worker\'s queue (%2$s).', '%1$d runs wait in the worker\'s queue (%2$s).', $pending, 'automationtools-ai' ),
			$pending,
			$status['queue']['backend']
		)
	);
}

/**
 * Test (asynchronous: it waits for the model): the AI endpoint answers with the configured key and model.
 *
 * @since 0.2.0
 *
 * @return array<string, mixed>
 */
function test_ai(): array {
	if ( ! Settings\get( Settings\AI_ENABLED ) ) {
		return result(
			'atai_ai',
			'good',
			__( 'AI rewriting is off', 'automationtools-ai' ),
			__( 'Posts are the cleaned original text, so no AI endpoint is needed. Turn AI rewriting on in the settings to use one.', 'automationtools-ai' )
		);
	}
	$answer = Worker\ai_test( \ATAI\Prompts\site_endpoint() );
	if ( is_wp_error( $answer ) ) {
		return result(
			'atai_ai',
			'recommended',
			__( 'The AI endpoint could not be tested', 'automationtools-ai' ),
			/* translators: %s: why the worker could not be asked, in words. */
			sprintf( __( 'The worker tests the AI endpoint, and it could not be asked: %s', 'automationtools-ai' ), $answer->get_error_message() ),
			settings_action()
		);
	}
	if ( $answer['ok'] ) {
		return result(
			'atai_ai',
			'good',
			__( 'The AI endpoint answers with the configured key and model', 'automationtools-ai' ),
			/* translators: 1: model name, 2: endpoint (host and port), 3: seconds. */
			sprintf( __( 'The model %1$s at %2$s answered a short test in %3$s seconds.', 'automationtools-ai' ), (string) $answer['model'], (string) $answer['endpoint'], number_format_i18n( (float) $answer['seconds'], 1 ) )
		);
	}
	$not_configured = 'not_configured' === ( $answer['code'] ?? '' );
	return result(
		'atai_ai',
		$not_configured ? 'recommended' : 'critical',
		$not_configured ? __( 'No AI endpoint is configured', 'automationtools-ai' ) : __( 'The AI endpoint does not answer as configured', 'automationtools-ai' ),
		$not_configured
			? __( 'AI rewriting is on, but neither these settings nor the worker\'s environment name an AI endpoint, so posts are the cleaned original text.', 'automationtools-ai' )
			/* translators: %s: the worker's account of the test, such as "test: the AI endpoint refused the API key (401)". */
			: sprintf( __( 'Drafts cannot be rewritten until this is fixed. %s', 'automationtools-ai' ), (string) $answer['message'] ),
		settings_action()
	);
}

/**
 * The Site Health Info section: the plugin's settings and state for support, never a secret.
 *
 * @since 0.2.0
 *
 * @param array<string, array<string, mixed>> $info Sections.
 * @return array<string, array<string, mixed>>
 */
function add_info( $info ) {
	$set_or_not = static function ( string $option ): string {
		if ( '' === Settings\get( $option ) ) {
			return __( 'Not set', 'automationtools-ai' );
		}
		return 'constant' === Settings\source( $option ) ? __( 'Set in wp-config.php', 'automationtools-ai' ) : __( 'Set', 'automationtools-ai' );
	};
	$last_tick = (int) get_option( Health\LAST_TICK_OPTION, 0 );
	$base_url  = Settings\get( Settings\AI_BASE_URL );
	$model     = Settings\get( Settings\AI_MODEL );
	$fields    = array(
		'version'          => array(
			'label' => __( 'Plugin version', 'automationtools-ai' ),
			'value' => \ATAI\VERSION,
		),
		'schema'           => array(
			'label' => __( 'Database schema version', 'automationtools-ai' ),
			'value' => (string) get_option( Schema\VERSION_OPTION, '' ),
		),
		'contract'         => array(
			'label' => __( 'Worker API version', 'automationtools-ai' ),
			'value' => contract_version(),
		),
		'worker_url'       => array(
			'label' => __( 'Worker URL', 'automationtools-ai' ),
			'value' => Worker\display_url( Settings\get( Settings\WORKER_URL ) ) . ( 'constant' === Settings\source( Settings\WORKER_URL ) ? ' ' . __( '(wp-config.php)', 'automationtools-ai' ) : '' ),
		),
		'worker_secret'    => array(
			'label' => __( 'Shared secret', 'automationtools-ai' ),
			'value' => $set_or_not( Settings\WORKER_SECRET ),
		),
		'callback_url'     => array(
			'label' => __( 'Callback URL', 'automationtools-ai' ),
			'value' => Worker\display_url( Settings\callback_url() ),
		),
		'ai_enabled'       => array(
			'label' => __( 'AI rewriting', 'automationtools-ai' ),
			'value' => Settings\get( Settings\AI_ENABLED ) ? __( 'On', 'automationtools-ai' ) : __( 'Off', 'automationtools-ai' ),
			'debug' => Settings\get( Settings\AI_ENABLED ) ? 'on' : 'off',
		),
		'ai_base_url'      => array(
			'label' => __( 'AI base URL', 'automationtools-ai' ),
			'value' => '' === $base_url ? __( 'The worker\'s own', 'automationtools-ai' ) : Worker\display_url( $base_url ),
		),
		'ai_api_key'       => array(
			'label' => __( 'AI API key', 'automationtools-ai' ),
			'value' => $set_or_not( Settings\AI_API_KEY ),
		),
		'ai_model'         => array(
			'label' => __( 'Model', 'automationtools-ai' ),
			'value' => '' === $model ? __( 'The worker\'s own', 'automationtools-ai' ) : $model,
		),
		'ai_max_in_flight' => array(
			'label' => __( 'Parallel AI requests', 'automationtools-ai' ),
			'value' => (string) Settings\get( Settings\AI_MAX_IN_FLIGHT ),
		),
		'feeds'            => array(
			'label' => __( 'Feeds', 'automationtools-ai' ),
			'value' => number_format_i18n( Feeds\count_all() ),
			'debug' => Feeds\count_all(),
		),
		'last_tick'        => array(
			'label' => __( 'Schedule last ran', 'automationtools-ai' ),
			'value' => 0 === $last_tick ? __( 'Never', 'automationtools-ai' ) : Clock\rfc3339( Clock\at( $last_tick ) ),
		),
		'wp_cron'          => array(
			'label' => __( 'WP-Cron on page loads', 'automationtools-ai' ),
			'value' => defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ? __( 'Off (DISABLE_WP_CRON)', 'automationtools-ai' ) : __( 'On', 'automationtools-ai' ),
		),
	);
	$info['automationtools-ai'] = array(
		'label'  => __( 'AutomationTools.AI', 'automationtools-ai' ),
		'fields' => $fields,
	);
	return $info;
}
