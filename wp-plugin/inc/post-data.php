<?php
/**
 * A draft made ready to post: the post data, its terms, its meta, its images and its item notes, with
 * every choice of the feed applied (post fields, terms, images, attribution, search engines).
 *
 * Everything here runs before the import's transaction: it may create terms and copy images (each
 * found again, never made twice, if the import is retried), so the rows locked inside the transaction
 * stay locked for the insert only.
 *
 * @package automationtools-ai
 */

namespace ATAI\Post_Data;

use ATAI\Feed;
use ATAI\Media;
use ATAI\Post_Fields;
use ATAI\Posts;
use ATAI\Seo;
use ATAI\Terms;

/**
 * The draft ready to post.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft    A contract Draft.
 * @param Feed                 $feed     The feed.
 * @param float                $deadline microtime(true) after which images wait for a cron event.
 * @return array{postarr: array<string, mixed>, terms: array<string, int[]>, meta: array<string, string>, pending: array<int, array<string, mixed>>, notes: string}
 */
function prepare( array $draft, Feed $feed, float $deadline ): array {
	$postarr = Post_Fields\apply( Posts\prepare_post( $draft, $feed ), $draft, $feed );
	$type    = $postarr['post_type'];
	$terms   = Terms\for_draft( $draft, $feed, Posts\tags( $draft['tags'] ) );
	$media   = Media\prepare( $draft, $postarr['post_content'], $feed, $deadline );

	$postarr['post_content']  = $media['content'];
	$postarr['post_category'] = is_object_in_taxonomy( $type, 'category' ) ? $terms['categories'] : array();
	$relations                = array(
		'post_tag'    => is_object_in_taxonomy( $type, 'post_tag' ) ? $terms['tags'] : array(),
		'post_format' => array_filter( array( Post_Fields\format_term( $feed, $type ) ) ),
	);
	$meta = Post_Fields\meta( $draft, $feed ) + Seo\meta( $draft, $feed );
	if ( $media['thumbnail_id'] ) {
		$meta['_thumbnail_id'] = (string) $media['thumbnail_id'];
	}
	$notes = array_merge( array_column( (array) $draft['findings'], 'message' ), $media['notes'] );
	return array(
		'postarr' => $postarr,
		'terms'   => array_filter( $relations ),
		'meta'    => $meta,
		'pending' => $media['pending'],
		'notes'   => implode( "\n", $notes ),
	);
}
