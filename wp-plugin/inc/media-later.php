<?php
/**
 * Images copied after their post: those a collection had no time for (a cron event copies them and
 * sets them on the post), and the image editor's sub-sizes of copied images (a cron event, never while
 * a collection runs).
 *
 * @package automationtools-ai
 */

namespace ATAI\Media;

use ATAI\Cron;
use ATAI\Feed;
use ATAI\Schema;

/** Post meta of a post whose images wait to be copied: the images, as JSON. */
const META_PENDING = '_atai_images_pending';

/** Cron events: copy pending images; make the sub-sizes of copied ones. */
const PENDING_HOOK = 'atai_copy_pending_images';
const SIZES_HOOK   = 'atai_make_image_sizes';

/**
 * After the post is committed: note the images still to copy, for the end of the batch or a cron event.
 *
 * @since 0.2.0
 *
 * @param int                              $post_id The new post.
 * @param array<int, array<string, mixed>> $pending Images prepare() left for later.
 */
function after_import( int $post_id, array $pending ): void {
	if ( ! $pending ) {
		return;
	}
	update_post_meta( $post_id, META_PENDING, wp_slash( wp_json_encode( $pending ) ) );
	schedule( PENDING_HOOK );
	pending_in_this_request( $post_id );
}

/**
 * Remember a post whose images wait (with an ID), or take the list of them (without).
 *
 * @since 0.2.0
 *
 * @return int[] The posts remembered so far, when taken.
 */
function pending_in_this_request( int $post_id = 0 ): array {
	static $posts = array();
	if ( $post_id > 0 ) {
		$posts[] = $post_id;
		return array();
	}
	$taken = $posts;
	$posts = array();
	return $taken;
}

/**
 * At the end of a batch: give the posts whose images another collection was copying their images,
 * now that it is done (found, not copied again); those still waiting go to the cron event.
 *
 * @since 0.2.0
 *
 * @param float $deadline microtime(true) after which the cron event does the rest.
 */
function settle( float $deadline ): void {
	foreach ( pending_in_this_request() as $post_id ) {
		if ( microtime( true ) >= $deadline ) {
			return;
		}
		copy_pending_of( $post_id, $deadline );
	}
}

/**
 * Schedule a cron event once (it runs at the next tick of WP-Cron or the system cron).
 *
 * @since 0.2.0
 */
function schedule( string $hook ): void {
	if ( false === wp_next_scheduled( $hook ) ) {
		wp_schedule_single_event( time(), $hook );
	}
}

/**
 * Cron event: copy the images that did not fit an earlier collection's time, within this request's.
 *
 * @since 0.2.0
 */
function copy_pending(): void {
	global $wpdb;
	$deadline = microtime( true ) + Cron\time_budget();
	$post_ids = $wpdb->get_col( $wpdb->prepare( "SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = %s LIMIT 50", META_PENDING ) );
	foreach ( array_map( 'intval', $post_ids ) as $post_id ) {
		if ( microtime( true ) >= $deadline ) {
			schedule( PENDING_HOOK );
			return;
		}
		copy_pending_of( $post_id, $deadline );
	}
}

/**
 * Copy one post's pending images, set its featured image and its content's addresses.
 *
 * @since 0.2.0
 */
function copy_pending_of( int $post_id, float $deadline ): void {
	$post    = get_post( $post_id );
	$pending = json_decode( (string) get_post_meta( $post_id, META_PENDING, true ), true );
	delete_post_meta( $post_id, META_PENDING );
	$feed = $post ? \ATAI\Feeds\get( (int) get_post_meta( $post_id, \ATAI\Posts\META_FEED_ID, true ) ) : null;
	if ( ! $post || ! is_array( $pending ) || null === $feed ) {
		return;
	}
	$draft    = array(
		'title'      => $post->post_title,
		'source_url' => get_post_meta( $post_id, \ATAI\Posts\META_SOURCE_URL, true ),
		'image'      => null,
		'images'     => array(),
	);
	$prepared = prepare_pending( $pending, $draft, $post->post_content, $feed, $deadline );
	if ( $prepared['thumbnail_id'] ) {
		set_post_thumbnail( $post_id, $prepared['thumbnail_id'] );
	}
	if ( $prepared['content'] !== $post->post_content ) {
		wp_update_post(
			array(
				'ID'           => $post_id,
				'post_content' => wp_slash( $prepared['content'] ),
			)
		);
	}
	if ( $prepared['pending'] ) {
		after_import( $post_id, $prepared['pending'] );
	}
	\ATAI\Source_Changes\add_notes( $post_id, $prepared['notes'] );
}

/**
 * prepare() for images kept as pending (each already marked featured and/or in the content).
 *
 * @since 0.2.0
 *
 * @param array<int, array<string, mixed>> $pending  Pending images.
 * @param array<string, mixed>             $draft    What copy() needs of a draft.
 * @param string                           $content  The post content.
 * @param Feed                             $feed     The feed.
 * @param float                            $deadline microtime(true) to stop at.
 * @return array{thumbnail_id: int, content: string, pending: array<int, array<string, mixed>>, notes: string[]}
 */
function prepare_pending( array $pending, array $draft, string $content, Feed $feed, float $deadline ): array {
	foreach ( $pending as $image ) {
		if ( ! empty( $image['featured'] ) && null === $draft['image'] ) {
			$draft['image'] = $image;
		} else {
			$draft['images'][] = $image;
		}
	}
	return prepare( $draft, $content, $feed, $deadline );
}

/**
 * Cron event: the image editor makes the sub-sizes (thumbnails) of copied images, within the time budget.
 *
 * @since 0.2.0
 */
function make_sizes(): void {
	global $wpdb;
	require_once ABSPATH . 'wp-admin/includes/image.php';
	$deadline = microtime( true ) + Cron\time_budget();
	$table    = Schema\media_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$ids = $wpdb->get_col( "SELECT DISTINCT attachment_id FROM {$table} WHERE sizes_pending = 1 LIMIT 100" );
	foreach ( array_map( 'intval', $ids ) as $attachment ) {
		if ( microtime( true ) >= $deadline ) {
			schedule( SIZES_HOOK );
			return;
		}
		$file = get_attached_file( $attachment );
		if ( $file && file_exists( $file ) ) {
			wp_update_attachment_metadata( $attachment, wp_generate_attachment_metadata( $attachment, $file ) );
		}
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET sizes_pending = 0 WHERE attachment_id = %d", $attachment ) );
	}
}
