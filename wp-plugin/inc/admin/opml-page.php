<?php
/**
 * OPML on the Feeds screen: export the feed list as a download; import a file in two steps, first a
 * review of what it would add (duplicates and unusable entries marked), then the import of the
 * ticked feeds.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\OPML_Page;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Notices;
use ATAI\Feeds;
use ATAI\OPML;

const EXPORT_ACTION = 'atai_export_opml';
const UPLOAD_ACTION = 'atai_upload_opml';
const IMPORT_ACTION = 'atai_import_opml';

/** The plan of an uploaded file, per user, between review and import. */
const PLAN_TRANSIENT_PREFIX = 'atai_opml_plan_';

/**
 * The "Import OPML" and "Export OPML" links of the Feeds screen's heading.
 *
 * @since 0.3.0
 */
function heading_links(): string {
	$export = wp_nonce_url( add_query_arg( 'action', EXPORT_ACTION, admin_url( 'admin-post.php' ) ), EXPORT_ACTION );
	return sprintf(
		'<a href="%1$s" class="page-title-action">%2$s</a> <a href="%3$s" class="page-title-action" id="atai-export-opml">%4$s</a>',
		esc_url( Feeds_Page\url( array( 'action' => 'import' ) ) ),
		esc_html__( 'Import OPML', 'automationtools-ai' ),
		esc_url( $export ),
		esc_html__( 'Export OPML', 'automationtools-ai' )
	);
}

/**
 * The import screen: the upload form, or the review of an uploaded file.
 *
 * @since 0.3.0
 */
function render(): void {
	echo '<div class="wrap atai-wrap">';
	echo '<h1>' . esc_html__( 'Import feeds from OPML', 'automationtools-ai' ) . '</h1>';
	echo '<p><a href="' . esc_url( Feeds_Page\url() ) . '">' . esc_html__( 'Back to all feeds', 'automationtools-ai' ) . '</a></p>';
	$plan = get_transient( PLAN_TRANSIENT_PREFIX . get_current_user_id() );
	if ( is_array( $plan ) && isset( $_GET['step'] ) && 'review' === $_GET['step'] ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- choosing a screen changes nothing.
		render_review( $plan );
	} else {
		render_upload();
	}
	echo '</div>';
}

/**
 * Step one: choose a file.
 *
 * @since 0.3.0
 */
function render_upload(): void {
	echo '<p>' . esc_html__( 'An OPML file lists feeds: most feed readers and this plugin\'s own "Export OPML" write one. Nothing is added before you have seen what the file holds.', 'automationtools-ai' ) . '</p>';
	echo '<form method="post" enctype="multipart/form-data" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="atai-opml-upload">';
	echo '<input type="hidden" name="action" value="' . esc_attr( UPLOAD_ACTION ) . '" />';
	wp_nonce_field( UPLOAD_ACTION );
	echo '<p><label for="atai-opml-file">' . esc_html__( 'OPML file', 'automationtools-ai' ) . '</label> ';
	echo '<input type="file" name="opml" id="atai-opml-file" accept=".opml,.xml,text/x-opml,text/xml,application/xml" required /></p>';
	submit_button( __( 'Show what it would add', 'automationtools-ai' ), 'primary', 'submit', false );
	echo '</form>';
}

/**
 * Step two: what the file would add, each feed ticked unless it is there already or cannot be used.
 *
 * @since 0.3.0
 *
 * @param array<int, array<string, mixed>> $plan The plan of the uploaded file.
 */
function render_review( array $plan ): void {
	$counts = array_count_values( array_column( $plan, 'state' ) ) + array(
		'new'       => 0,
		'duplicate' => 0,
		'invalid'   => 0,
	);
	echo '<p>' . esc_html(
		sprintf(
			/* translators: 1: number of feeds in the file, 2: new ones, 3: already added, 4: that cannot be used. */
			__( 'The file lists %1$d feeds: %2$d new, %3$d already added, %4$d that cannot be used.', 'automationtools-ai' ),
			count( $plan ),
			$counts['new'],
			$counts['duplicate'],
			$counts['invalid']
		)
	) . '</p>';
	echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
	echo '<input type="hidden" name="action" value="' . esc_attr( IMPORT_ACTION ) . '" />';
	wp_nonce_field( IMPORT_ACTION );
	echo '<table class="widefat striped atai-opml-review"><thead><tr>';
	echo '<td class="check-column"></td><th scope="col">' . esc_html__( 'Feed', 'automationtools-ai' ) . '</th><th scope="col">' . esc_html__( 'Settings', 'automationtools-ai' ) . '</th><th scope="col">' . esc_html__( 'Import', 'automationtools-ai' ) . '</th>';
	echo '</tr></thead><tbody>';
	foreach ( $plan as $index => $feed ) {
		$new = 'new' === $feed['state'];
		echo '<tr class="atai-opml-' . esc_attr( $feed['state'] ) . '">';
		printf(
			'<th scope="row" class="check-column"><input type="checkbox" name="feeds[]" value="%1$d" id="atai-opml-%1$d"%2$s /></th>',
			(int) $index,
			$new ? ' checked' : ' disabled'
		);
		echo '<td><label for="atai-opml-' . esc_attr( (string) $index ) . '"><strong>' . esc_html( '' !== $feed['title'] ? $feed['title'] : $feed['url'] ) . '</strong></label><br /><span class="atai-url">' . esc_html( $feed['url'] ) . '</span></td>';
		echo '<td>' . esc_html( settings_summary( $feed['input'] ) ) . '</td>';
		$words = array(
			'new'       => __( 'New', 'automationtools-ai' ),
			'duplicate' => __( 'Duplicate', 'automationtools-ai' ),
			'invalid'   => __( 'Cannot be used', 'automationtools-ai' ),
		);
		echo '<td>' . esc_html( $words[ $feed['state'] ] ) . ( '' !== $feed['reason'] ? '<br /><small class="' . ( 'invalid' === $feed['state'] ? 'atai-error' : '' ) . '">' . esc_html( $feed['reason'] ) . '</small>' : '' ) . '</td>';
		echo '</tr>';
	}
	echo '</tbody></table>';
	submit_button( __( 'Import the ticked feeds', 'automationtools-ai' ) );
	echo '</form>';
}

/**
 * A feed's imported settings in a few words.
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $input The feed's values from the file.
 */
function settings_summary( array $input ): string {
	$parts = array();
	if ( isset( $input['post_status'] ) ) {
		$parts[] = Feeds\post_status_labels()[ $input['post_status'] ] ?? $input['post_status'];
	}
	if ( isset( $input['interval'] ) ) {
		$parts[] = Feeds\interval_labels()[ $input['interval'] ] ?? $input['interval'];
	}
	if ( isset( $input['status'] ) && 'paused' === $input['status'] ) {
		$parts[] = __( 'Paused', 'automationtools-ai' );
	}
	return $parts ? implode( ', ', $parts ) : __( 'This site\'s defaults', 'automationtools-ai' );
}

/**
 * Handler of "Export OPML": the feed list as a download.
 *
 * @since 0.3.0
 */
function handle_export(): void {
	Feeds_Page\check_request( EXPORT_ACTION );
	$name = sanitize_file_name( get_bloginfo( 'name' ) . '-feeds-' . gmdate( 'Y-m-d' ) . '.opml' );
	nocache_headers();
	header( 'Content-Type: text/x-opml; charset=utf-8' );
	header( 'Content-Disposition: attachment; filename="' . $name . '"' );
	echo OPML\export( Feeds\all( OPML\MAX_OUTLINES ) ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- an XML document built with DOMDocument, which escapes.
	exit;
}

/**
 * Handler of the upload: read the file, keep its plan for the review.
 *
 * @since 0.3.0
 */
function handle_upload(): void {
	Feeds_Page\check_request( UPLOAD_ACTION );
	$file = $_FILES['opml'] ?? null; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- only its temporary path and error code are used; the content is parsed as XML.
	$xml  = '';
	if ( is_array( $file ) && UPLOAD_ERR_OK === ( $file['error'] ?? UPLOAD_ERR_NO_FILE ) && is_uploaded_file( $file['tmp_name'] ) ) {
		$xml = (string) file_get_contents( $file['tmp_name'], false, null, 0, OPML\MAX_BYTES + 1 ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- PHP's own upload, read once.
	}
	$redirect = review_plan( $xml );
	wp_safe_redirect( $redirect );
	exit;
}

/**
 * Read an uploaded file into a plan for the review; returns where to go (the review, or the upload
 * form again with the reason).
 *
 * @since 0.3.0
 */
function review_plan( string $xml ): string {
	$feeds = '' === $xml ? new \WP_Error( 'atai_opml_invalid', __( 'No file was received: choose an OPML file.', 'automationtools-ai' ) ) : OPML\read( $xml );
	if ( is_wp_error( $feeds ) ) {
		Notices\add( 'error', $feeds->get_error_message() );
		return Feeds_Page\url( array( 'action' => 'import' ) );
	}
	if ( ! $feeds ) {
		Notices\add( 'error', __( 'The file lists no feed (no outline with an xmlUrl).', 'automationtools-ai' ) );
		return Feeds_Page\url( array( 'action' => 'import' ) );
	}
	set_transient( PLAN_TRANSIENT_PREFIX . get_current_user_id(), OPML\plan( $feeds ), 30 * MINUTE_IN_SECONDS );
	return Feeds_Page\url(
		array(
			'action' => 'import',
			'step'   => 'review',
		)
	);
}

/**
 * Handler of "Import the ticked feeds".
 *
 * @since 0.3.0
 */
function handle_import(): void {
	Feeds_Page\check_request( IMPORT_ACTION );
	$chosen = isset( $_POST['feeds'] ) ? array_map( 'absint', (array) wp_unslash( $_POST['feeds'] ) ) : array(); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- check_request() verified it.
	wp_safe_redirect( import_chosen( $chosen ) );
	exit;
}

/**
 * Import the ticked feeds of the current user's plan; returns where to go next.
 *
 * @since 0.3.0
 *
 * @param int[] $chosen Positions in the plan.
 */
function import_chosen( array $chosen ): string {
	$key  = PLAN_TRANSIENT_PREFIX . get_current_user_id();
	$plan = get_transient( $key );
	if ( ! is_array( $plan ) ) {
		Notices\add( 'error', __( 'The uploaded file is no longer at hand (after 30 minutes it is forgotten): upload it again.', 'automationtools-ai' ) );
		return Feeds_Page\url( array( 'action' => 'import' ) );
	}
	delete_transient( $key );
	$result = OPML\import( $plan, $chosen );
	$added  = count( $result['added'] );
	/* translators: %d: number of feeds. */
	Notices\add( 'success', sprintf( _n( '%d feed added. Its first run starts within a minute.', '%d feeds added. Their first runs start within a minute.', $added, 'automationtools-ai' ), $added ) );
	foreach ( $result['refused'] as $index => $reason ) {
		/* translators: 1: feed address, 2: why it was not added. */
		Notices\add( 'error', sprintf( __( '%1$s was not added: %2$s', 'automationtools-ai' ), $plan[ $index ]['url'], $reason ) );
	}
	return Feeds_Page\url();
}
